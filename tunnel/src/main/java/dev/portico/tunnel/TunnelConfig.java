package dev.portico.tunnel;

import dev.portico.core.net.HostPort;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The settings of a tunnel service ({@code type: tunnel}).
 *
 * @param mode          server (accepts), client (dials) or hybrid (both)
 * @param listen        where a server listens (UDP)
 * @param sessions      the sessions by name, in the config's order
 * @param dial          the client sessions to dial (each has a target)
 * @param udpPayload    the largest UDP payload QUIC sends and takes, both sides alike
 * @param congestion    the QUIC congestion control
 * @param window        QUIC flow-control window (connection and stream), at least the path's bandwidth-delay product
 * @param initialCwnd   the QUIC congestion window a connection starts with, in bytes; with {@code bbr} also the
 *                      least it keeps, whatever the loss (see {@link QuicSettings#apply})
 * @param idleTimeout   a connection silent this long is dead
 * @param keepalive     how often each side sends a keep-alive frame
 * @param redialMax     the longest wait between two dials of a client session
 * @param stateDir      where the server certificate lives ({@code <state_dir>/tunnel/}); null for the
 *                      process's top-level {@code state_dir}
 * @param routingMetric whether routes that several sessions carry go through the one with the
 *                      shortest round trip ({@code routing_metric: on}, see {@link RouteMetrics})
 * @param metricInterval how often those routes are measured and set
 * @param relays        pairs of sessions whose frames are forwarded to each other, without devices
 * @param maxUnauthenticated connections the server side holds at once before they prove a token;
 *                      more are closed
 */
public record TunnelConfig(Mode mode, List<HostPort> listen, Map<String, SessionConfig> sessions, List<String> dial,
                           int udpPayload, Congestion congestion, long window, long initialCwnd, Duration idleTimeout,
                           Duration keepalive, Duration redialMax, Path stateDir, boolean routingMetric,
                           Duration metricInterval, List<Relay> relays, int maxUnauthenticated) {

    /** 1500-byte Ethernet less the IPv6 and UDP headers, as {@code maxSendUdpPayloadSize} takes it. */
    public static final int DEFAULT_UDP_PAYLOAD = 1452;
    public static final int MIN_UDP_PAYLOAD = 1200;
    public static final int MAX_UDP_PAYLOAD = 65527;
    public static final int DEFAULT_PORT = 9000;
    /** 100 Mbit/s for 300 ms, rounded up to whole MiB: 3.75 MB becomes 4 MiB. */
    public static final long DEFAULT_WINDOW = 4L << 20;
    /**
     * 1 MiB, about 720 packets of 1452 bytes: quiche's BBR takes every random loss for congestion and
     * would otherwise hold a 200 ms path with 1% loss to a few Mbit/s (docs/decisions.md).
     */
    public static final long DEFAULT_INITIAL_CWND = 1L << 20;
    /** The smallest {@code initial_cwnd}: quiche's own default of 10 packets of 1452 bytes, rounded up. */
    public static final long MIN_INITIAL_CWND = 16 * 1024;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(15);
    public static final Duration DEFAULT_KEEPALIVE = Duration.ofSeconds(5);
    public static final Duration DEFAULT_REDIAL_MAX = Duration.ofSeconds(30);
    public static final Duration DEFAULT_METRIC_INTERVAL = Duration.ofSeconds(20);
    /** Unauthenticated connections held at once: each costs a QUIC connection's state until the 10 s handshake limit. */
    public static final int DEFAULT_MAX_UNAUTHENTICATED = 256;

    /**
     * Two sessions whose frames are forwarded to each other ({@code relay: ["a:b"]}), as 3wdd's
     * relay did: neither has a device.
     */
    public record Relay(String a, String b) {
        public Relay {
            Objects.requireNonNull(a, "a");
            Objects.requireNonNull(b, "b");
            if (a.equals(b)) {
                throw new IllegalArgumentException("relay '" + a + ":" + b + "' joins a session to itself");
            }
        }

        /** Parses {@code a:b}. */
        public static Relay parse(String text) {
            String t = text.trim();
            int colon = t.indexOf(':');
            if (colon <= 0 || colon == t.length() - 1 || t.indexOf(':', colon + 1) >= 0) {
                throw new IllegalArgumentException("'" + text + "' is not two session names as a:b");
            }
            return new Relay(t.substring(0, colon).trim(), t.substring(colon + 1).trim());
        }

        /** The other end of the relay from {@code session}, or null when it is neither. */
        public String other(String session) {
            return session.equals(a) ? b : session.equals(b) ? a : null;
        }

        @Override
        public String toString() {
            return a + ":" + b;
        }
    }

    /** QUIC congestion control. */
    public enum Congestion {
        BBR, CUBIC;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What a tunnel service does. */
    public enum Mode {
        SERVER, CLIENT, HYBRID;

        public boolean accepts() {
            return this != CLIENT;
        }

        public boolean dials() {
            return this != SERVER;
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public TunnelConfig {
        Objects.requireNonNull(mode, "mode");
        listen = List.copyOf(listen);
        sessions = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sessions));
        dial = List.copyOf(dial);
        if (sessions.isEmpty()) {
            throw new IllegalArgumentException("needs at least one session");
        }
        if (mode.accepts() && listen.isEmpty()) {
            throw new IllegalArgumentException("mode " + mode + " needs a listen address");
        }
        if (!mode.accepts() && !listen.isEmpty()) {
            throw new IllegalArgumentException("mode client does not listen; use mode hybrid to listen as well");
        }
        if (udpPayload < MIN_UDP_PAYLOAD || udpPayload > MAX_UDP_PAYLOAD) {
            throw new IllegalArgumentException("udp_payload " + udpPayload + " is out of range (" + MIN_UDP_PAYLOAD
                    + " to " + MAX_UDP_PAYLOAD + ")");
        }
        Objects.requireNonNull(congestion, "congestion");
        if (window < 64 * 1024) {
            throw new IllegalArgumentException("window must be at least 64k");
        }
        if (initialCwnd < MIN_INITIAL_CWND) {
            throw new IllegalArgumentException("initial_cwnd must be at least 16k");
        }
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(keepalive, "keepalive");
        Objects.requireNonNull(redialMax, "redialMax");
        if (idleTimeout.toMillis() < 1000) {
            throw new IllegalArgumentException("idle_timeout must be at least 1s");
        }
        if (keepalive.isZero() || keepalive.isNegative() || keepalive.compareTo(idleTimeout) >= 0) {
            throw new IllegalArgumentException("keepalive must be more than 0s and less than idle_timeout ("
                    + dev.portico.core.config.Durations.format(idleTimeout) + ")");
        }
        if (redialMax.toMillis() < 100) {
            throw new IllegalArgumentException("redial_max must be at least 100ms");
        }
        for (String d : dial) {
            SessionConfig s = sessions.get(d);
            if (s == null) {
                throw new IllegalArgumentException("dial names session '" + d + "', which is not in sessions");
            }
            if (!s.client()) {
                throw new IllegalArgumentException("dial names session '" + d + "', which has no target");
            }
        }
        Objects.requireNonNull(metricInterval, "metricInterval");
        if (metricInterval.toMillis() < 100) {
            throw new IllegalArgumentException("metric_interval must be at least 100ms");
        }
        relays = List.copyOf(relays);
        if (maxUnauthenticated < 1) {
            throw new IllegalArgumentException("max_unauthenticated must be at least 1");
        }
        java.util.Set<String> relayed = new java.util.HashSet<>();
        for (Relay r : relays) {
            for (String n : List.of(r.a(), r.b())) {
                if (!sessions.containsKey(n)) {
                    throw new IllegalArgumentException("relay '" + r + "' names session '" + n
                            + "', which is not in sessions");
                }
                if (!relayed.add(n)) {
                    throw new IllegalArgumentException("session '" + n + "' is in more than one relay");
                }
            }
        }
        if (!mode.dials() && !dial.isEmpty()) {
            throw new IllegalArgumentException("mode server does not dial; use mode hybrid to dial as well");
        }
        if (mode.dials() && dial.isEmpty()) {
            throw new IllegalArgumentException("mode " + mode + " needs a session with a target to dial");
        }
        for (SessionConfig s : sessions.values()) {
            if (s.client() && !dial.contains(s.name())) {
                continue; // a client session left out of dial is kept but not dialled
            }
            if (!s.client() && !mode.accepts()) {
                throw new IllegalArgumentException("session '" + s.name() + "' has no target, and mode client "
                        + "accepts nobody");
            }
            FrameCodec.checkFits(s, udpPayload);
        }
    }

    /** The relay a session is in, or null when it has a device of its own. */
    public Relay relayOf(String session) {
        for (Relay r : relays) {
            if (r.other(session) != null) {
                return r;
            }
        }
        return null;
    }

    /** The sessions the server side accepts: those without a target. */
    public Map<String, SessionConfig> serverSessions() {
        Map<String, SessionConfig> out = new LinkedHashMap<>();
        sessions.forEach((n, s) -> {
            if (!s.client()) {
                out.put(n, s);
            }
        });
        return out;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Everything the config sets, with the config's defaults. */
    public static final class Builder {
        private Mode mode = Mode.SERVER;
        private final List<HostPort> listen = new ArrayList<>();
        private final Map<String, SessionConfig> sessions = new LinkedHashMap<>();
        private final List<String> dial = new ArrayList<>();
        private boolean dialSet;
        private int udpPayload = DEFAULT_UDP_PAYLOAD;
        private Congestion congestion = Congestion.BBR;
        private long window = DEFAULT_WINDOW;
        private long initialCwnd = DEFAULT_INITIAL_CWND;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private Duration keepalive = DEFAULT_KEEPALIVE;
        private Duration redialMax = DEFAULT_REDIAL_MAX;
        private Path stateDir;
        private boolean routingMetric;
        private Duration metricInterval = DEFAULT_METRIC_INTERVAL;
        private final List<Relay> relays = new ArrayList<>();
        private int maxUnauthenticated = DEFAULT_MAX_UNAUTHENTICATED;

        public Builder mode(Mode v) {
            mode = v;
            return this;
        }

        public Builder listen(HostPort v) {
            listen.add(v);
            return this;
        }

        public Builder session(SessionConfig v) {
            sessions.put(v.name(), v);
            return this;
        }

        /** A session to dial; when none is named, every session with a target is dialled in client and hybrid mode. */
        public Builder dial(String v) {
            dial.add(v);
            dialSet = true;
            return this;
        }

        public Builder udpPayload(int v) {
            udpPayload = v;
            return this;
        }

        public Builder congestion(Congestion v) {
            congestion = v;
            return this;
        }

        public Builder window(long v) {
            window = v;
            return this;
        }

        public Builder initialCwnd(long v) {
            initialCwnd = v;
            return this;
        }

        public Builder idleTimeout(Duration v) {
            idleTimeout = v;
            return this;
        }

        public Builder keepalive(Duration v) {
            keepalive = v;
            return this;
        }

        public Builder redialMax(Duration v) {
            redialMax = v;
            return this;
        }

        public Builder stateDir(Path v) {
            stateDir = v;
            return this;
        }

        public Builder routingMetric(boolean v) {
            routingMetric = v;
            return this;
        }

        public Builder metricInterval(Duration v) {
            metricInterval = v;
            return this;
        }

        public Builder relay(Relay v) {
            relays.add(v);
            return this;
        }

        public Builder maxUnauthenticated(int v) {
            maxUnauthenticated = v;
            return this;
        }

        public TunnelConfig build() {
            List<String> d = dial;
            if (!dialSet && mode.dials()) {
                d = sessions.values().stream().filter(SessionConfig::client).map(SessionConfig::name).toList();
            }
            return new TunnelConfig(mode, listen, sessions, d, udpPayload, congestion, window, initialCwnd, idleTimeout, keepalive,
                    redialMax, stateDir, routingMetric, metricInterval, relays, maxUnauthenticated);
        }
    }
}
