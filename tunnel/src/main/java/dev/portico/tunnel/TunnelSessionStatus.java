package dev.portico.tunnel;

import java.util.List;
import java.util.Map;

/**
 * One session of a running tunnel service, as the admin API shows it.
 *
 * @param name          the session name
 * @param state         {@code up} or {@code down}
 * @param side          {@code client} (this side dials) or {@code server}
 * @param peerAddress   the other side's UDP address while up, or null
 * @param device        the TUN device while up, or null (relayed sessions have none)
 * @param relayTo       the session at the other end of its relay, or null
 * @param transport     {@code reliable} or {@code datagram}
 * @param rttMs         the QUIC path's smoothed round-trip time in milliseconds, or null
 * @param cwndBytes     the QUIC path's congestion window, or null
 * @param lostPackets   QUIC packets lost on the current connection, or null
 * @param bytesIn       IP bytes from the tunnel to the device (or relayed on) since the start
 * @param bytesOut      IP bytes from the device into the tunnel since the start
 * @param packetsIn     packets in, likewise
 * @param packetsOut    packets out, likewise
 * @param connects      authenticated connections that brought the session up
 * @param routeMetrics  with {@code routing_metric: on}: the metric of each shared route it carries
 * @param bestRoutes    with {@code routing_metric: on}: the shared routes that go through it now
 */
public record TunnelSessionStatus(String name, String state, String side, String peerAddress, String device,
                                  String relayTo, String transport, Double rttMs, Double cwndBytes,
                                  Double lostPackets, long bytesIn, long bytesOut, long packetsIn, long packetsOut,
                                  long connects, Map<String, Integer> routeMetrics, List<String> bestRoutes) {
    public TunnelSessionStatus {
        routeMetrics = Map.copyOf(routeMetrics);
        bestRoutes = List.copyOf(bestRoutes);
    }
}
