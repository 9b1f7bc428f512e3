package dev.portico.tunnel;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.quic.QuicConnectionPathStats;
import io.netty.handler.codec.quic.QuicConnectionStats;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * One session's meters, tagged with the service and session names: packets and bytes through the
 * device each way, dropped frames by reason, and the QUIC connection's RTT, congestion window,
 * lost packets and bytes as its last statistics said (NaN while the session is down).
 */
final class SessionMetrics implements AutoCloseable {

    /** Why a frame or packet was dropped. */
    enum Drop {
        /** Longer than the device MTU. */
        OVERSIZE,
        /** Unknown flags, empty, not IP, or compressed data that does not expand. */
        MALFORMED,
        /** The device is not up yet, or the kernel refused the packet. */
        DEVICE,
        /** Too long for a DATAGRAM frame, or the connection would not take it. */
        SEND
    }

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    final LongAdder packetsOut = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    final LongAdder packetsIn = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    final LongAdder compressed = new LongAdder();
    final LongAdder connects = new LongAdder();
    private final LongAdder[] drops = new LongAdder[Drop.values().length];
    private volatile double rttSeconds = Double.NaN;
    private volatile double cwnd = Double.NaN;
    private volatile double lost = Double.NaN;
    private volatile double quicSent = Double.NaN;
    private volatile double quicReceived = Double.NaN;
    private volatile boolean up;

    SessionMetrics(String service, String session, MeterRegistry registry) {
        this.registry = registry;
        counter("portico_tunnel_packets", "packets between the device and the tunnel", service, session, "out",
                packetsOut);
        counter("portico_tunnel_packets", "packets between the device and the tunnel", service, session, "in",
                packetsIn);
        counter("portico_tunnel_bytes", "IP bytes between the device and the tunnel, before compression", service,
                session, "out", bytesOut);
        counter("portico_tunnel_bytes", "IP bytes between the device and the tunnel, before compression", service,
                session, "in", bytesIn);
        for (Drop d : Drop.values()) {
            drops[d.ordinal()] = new LongAdder();
            meters.add(FunctionCounter.builder("portico_tunnel_dropped", drops[d.ordinal()], LongAdder::sum)
                    .tag("service", service).tag("session", session)
                    .tag("reason", d.name().toLowerCase(java.util.Locale.ROOT))
                    .description("frames and packets dropped, by reason").register(registry));
        }
        meters.add(FunctionCounter.builder("portico_tunnel_compressed", compressed, LongAdder::sum)
                .tag("service", service).tag("session", session)
                .description("packets sent compressed").register(registry));
        meters.add(FunctionCounter.builder("portico_tunnel_connects", connects, LongAdder::sum)
                .tag("service", service).tag("session", session)
                .description("authenticated connections that brought the session up").register(registry));
        gauge("portico_tunnel_up", "1 while the session's tunnel is up", service, session, m -> m.up ? 1 : 0);
        gauge("portico_tunnel_rtt_seconds", "the QUIC path's smoothed round-trip time", service, session,
                m -> m.rttSeconds);
        gauge("portico_tunnel_cwnd_bytes", "the QUIC path's congestion window", service, session, m -> m.cwnd);
        gauge("portico_tunnel_lost_packets", "QUIC packets lost on the current connection", service, session,
                m -> m.lost);
        gauge("portico_tunnel_quic_sent_bytes", "bytes QUIC sent on the current connection", service, session,
                m -> m.quicSent);
        gauge("portico_tunnel_quic_received_bytes", "bytes QUIC received on the current connection", service,
                session, m -> m.quicReceived);
    }

    private void counter(String name, String description, String service, String session, String direction,
                         LongAdder value) {
        meters.add(FunctionCounter.builder(name, value, LongAdder::sum).tag("service", service).tag("session", session)
                .tag("direction", direction).description(description).register(registry));
    }

    private void gauge(String name, String description, String service, String session,
                       java.util.function.ToDoubleFunction<SessionMetrics> value) {
        meters.add(Gauge.builder(name, this, value).tag("service", service).tag("session", session)
                .description(description).register(registry));
    }

    void drop(Drop reason) {
        drops[reason.ordinal()].increment();
    }

    long dropped(Drop reason) {
        return drops[reason.ordinal()].sum();
    }

    void up(boolean v) {
        up = v;
        if (!v) {
            rttSeconds = Double.NaN;
            cwnd = Double.NaN;
            lost = Double.NaN;
            quicSent = Double.NaN;
            quicReceived = Double.NaN;
        }
    }

    void path(QuicConnectionPathStats p) {
        rttSeconds = p.rtt() < 0 ? Double.NaN : p.rtt() / 1e9;
        cwnd = p.cwnd() < 0 ? Double.NaN : p.cwnd();
    }

    void connection(QuicConnectionStats c) {
        lost = c.lost() < 0 ? Double.NaN : c.lost();
        quicSent = c.sentBytes() < 0 ? Double.NaN : c.sentBytes();
        quicReceived = c.recvBytes() < 0 ? Double.NaN : c.recvBytes();
    }

    double rttSeconds() {
        return rttSeconds;
    }

    double cwnd() {
        return cwnd;
    }

    double lost() {
        return lost;
    }

    @Override
    public void close() {
        meters.forEach(registry::remove);
    }
}
