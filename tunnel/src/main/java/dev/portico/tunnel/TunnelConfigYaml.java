package dev.portico.tunnel;

import dev.portico.core.config.Durations;
import dev.portico.core.config.Sizes;
import dev.portico.core.net.HostPort;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a {@link TunnelConfig} as the {@code type: tunnel} section that
 * {@link TunnelServiceType} reads back to an equal config. Settings at their default are left out;
 * a token read from a file is written as that file, never as the secret.
 */
final class TunnelConfigYaml {

    private TunnelConfigYaml() {
    }

    static Map<String, Object> write(TunnelConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "tunnel");
        m.put("mode", c.mode().toString());
        if (!c.listen().isEmpty()) {
            m.put("listen", c.listen().stream().map(HostPort::toString).toList());
        }
        java.util.List<String> everyClient = c.sessions().values().stream().filter(SessionConfig::client)
                .map(SessionConfig::name).toList();
        if (c.mode().dials() && !c.dial().equals(everyClient)) {
            m.put("dial", c.dial());
        }
        if (c.udpPayload() != TunnelConfig.DEFAULT_UDP_PAYLOAD) {
            m.put("udp_payload", c.udpPayload());
        }
        if (c.congestion() != TunnelConfig.Congestion.BBR) {
            m.put("congestion", c.congestion().toString());
        }
        if (c.window() != TunnelConfig.DEFAULT_WINDOW) {
            m.put("window", Sizes.format(c.window()));
        }
        if (c.initialCwnd() != TunnelConfig.DEFAULT_INITIAL_CWND) {
            m.put("initial_cwnd", Sizes.format(c.initialCwnd()));
        }
        if (!c.idleTimeout().equals(TunnelConfig.DEFAULT_IDLE_TIMEOUT)) {
            m.put("idle_timeout", Durations.format(c.idleTimeout()));
        }
        if (!c.keepalive().equals(TunnelConfig.DEFAULT_KEEPALIVE)) {
            m.put("keepalive", Durations.format(c.keepalive()));
        }
        if (!c.redialMax().equals(TunnelConfig.DEFAULT_REDIAL_MAX)) {
            m.put("redial_max", Durations.format(c.redialMax()));
        }
        if (c.stateDir() != null) {
            m.put("state_dir", c.stateDir().toAbsolutePath().normalize().toString());
        }
        if (c.routingMetric()) {
            m.put("routing_metric", "on");
        }
        if (!c.metricInterval().equals(TunnelConfig.DEFAULT_METRIC_INTERVAL)) {
            m.put("metric_interval", Durations.format(c.metricInterval()));
        }
        if (c.maxUnauthenticated() != TunnelConfig.DEFAULT_MAX_UNAUTHENTICATED) {
            m.put("max_unauthenticated", c.maxUnauthenticated());
        }
        if (!c.relays().isEmpty()) {
            m.put("relay", c.relays().stream().map(TunnelConfig.Relay::toString).toList());
        }
        Map<String, Object> sessions = new LinkedHashMap<>();
        c.sessions().forEach((name, s) -> sessions.put(name, session(s)));
        m.put("sessions", sessions);
        return m;
    }

    private static Map<String, Object> session(SessionConfig s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("local", HostPort.text(s.local()));
        m.put("peer", HostPort.text(s.peer()));
        if (s.local6() != null) {
            m.put("local6", HostPort.text(s.local6()));
            m.put("peer6", HostPort.text(s.peer6()));
        }
        if (s.mtu() != SessionConfig.DEFAULT_MTU) {
            m.put("mtu", s.mtu());
        }
        if (s.txqueuelen() != SessionConfig.DEFAULT_TXQUEUELEN) {
            m.put("txqueuelen", s.txqueuelen());
        }
        if (s.tokenFile() != null) {
            m.put("token_file", s.tokenFile().toAbsolutePath().normalize().toString());
        } else {
            m.put("token", s.token());
        }
        if (s.compress() != SessionConfig.Compression.OFF) {
            m.put("compress", s.compress().toString());
        }
        if (s.transport() != SessionConfig.TransportMode.RELIABLE) {
            m.put("transport", s.transport().toString());
        }
        if (!s.routes().isEmpty()) {
            m.put("routes", s.routes().stream().map(r -> r.metric() < 0 ? r.destination()
                    : r.destination() + "/" + r.metric()).toList());
        }
        if (s.ifup() != null) {
            m.put("ifup", s.ifup().toString());
        }
        if (s.ifdown() != null) {
            m.put("ifdown", s.ifdown().toString());
        }
        if (s.rtch() != null) {
            m.put("rtch", s.rtch().toString());
        }
        if (s.target() != null) {
            m.put("target", s.target().toString());
        }
        if (s.serverFingerprint() != null) {
            m.put("server_fingerprint", s.serverFingerprint());
        }
        if (s.serverCa() != null) {
            m.put("server_ca", s.serverCa().toAbsolutePath().normalize().toString());
        }
        return m;
    }
}
