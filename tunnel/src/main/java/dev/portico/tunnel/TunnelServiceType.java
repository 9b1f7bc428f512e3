package dev.portico.tunnel;

import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.Section;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.lifecycle.ServiceType;
import dev.portico.core.net.HostPort;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code type: tunnel} in the config file: 3wdd's IP tunnels over QUIC. Reads only its own section:
 *
 * <pre>
 * mode: server                # server (accepts), client (dials) or hybrid (both)
 * listen: [0.0.0.0:9000]      # UDP; server and hybrid
 * dial: [warp1]               # client sessions to dial (default: every session with a target)
 * udp_payload: 1452           # largest UDP payload QUIC sends and takes
 * congestion: bbr             # bbr or cubic
 * window: 4m                  # QUIC flow-control windows, at least bandwidth x RTT
 * initial_cwnd: 1m            # QUIC congestion window at the start; with bbr also the least it keeps
 * idle_timeout: 15s           # a connection silent this long is dead
 * keepalive: 5s               # keep-alive frames each way
 * redial_max: 30s             # longest wait between dials
 * state_dir: /var/lib/portico # the certificate: STATE_DIR/tunnel/SERVICE/ (default: the top-level state_dir)
 * sessions:
 *   warp1:                    # also the device name: 1 to 15 bytes
 *     local: 10.19.27.1
 *     peer: 10.19.27.2
 *     local6: fd19::1         # optional, with peer6
 *     peer6: fd19::2
 *     mtu: 1380
 *     txqueuelen: 1000
 *     token_file: warp1.token # or token: ...
 *     compress: off           # off, zlib or lz4
 *     transport: reliable     # reliable (QUIC stream) or datagram (QUIC DATAGRAM frames)
 *     routes: [10.19.0.0/19, 192.168.7.0/24/100]   # net/len[/metric]
 *     ifup: /etc/portico/up.sh        # each run with the device name
 *     ifdown: /etc/portico/down.sh
 *     rtch: /etc/portico/rtch.sh      # when the session's routes are added or removed
 *     target: hub.example.net:9000    # client sessions: the server to dial
 *     server_fingerprint: 3f...       # client sessions: SHA-256 of the server certificate
 *     server_ca: ca.pem               # or: a CA the server certificate chains to
 * routing_metric: on          # routes several sessions carry go through the shortest round trip
 * metric_interval: 20s        # how often those routes are measured and set
 * relay: ["a:b"]              # sessions whose frames are forwarded to each other, without devices
 * max_unauthenticated: 256    # connections held at once before they prove a token; more are closed
 * </pre>
 */
public final class TunnelServiceType implements ServiceType<TunnelConfig> {

    @Override
    public String name() {
        return "tunnel";
    }

    /** @return the config, or null when the section has problems (they are in its problem list) */
    @Override
    public TunnelConfig parse(String serviceName, Section s) {
        int before = s.problems().list().size();
        TunnelConfig.Builder b = TunnelConfig.builder();
        s.string("type", "tunnel");
        TunnelConfig.Mode mode = TunnelConfig.Mode.valueOf(s.oneOf("mode", "server",
                List.of("server", "client", "hybrid")).toUpperCase(Locale.ROOT));
        b.mode(mode);
        s.list("listen", List.of(), TunnelServiceType::listenAddress).forEach(b::listen);
        if (mode.accepts() && !s.has("listen")) {
            s.problem("listen", "'" + s.path() + "' needs 'listen' in mode " + mode + " (for example listen: [0.0.0.0:9000])");
        }
        if (!mode.accepts() && s.has("listen")) {
            s.problem("listen", "'" + s.path() + ".listen': mode client does not listen (use mode: hybrid)");
        }
        s.strings("dial", List.of()).forEach(b::dial);
        b.udpPayload(s.integer("udp_payload", TunnelConfig.DEFAULT_UDP_PAYLOAD, TunnelConfig.MIN_UDP_PAYLOAD,
                TunnelConfig.MAX_UDP_PAYLOAD));
        b.congestion(TunnelConfig.Congestion.valueOf(s.oneOf("congestion", "bbr", List.of("bbr", "cubic"))
                .toUpperCase(Locale.ROOT)));
        long window = s.size("window", TunnelConfig.DEFAULT_WINDOW);
        if (window < 64 * 1024) {
            s.problem("window", "'" + s.path() + ".window' must be at least 64k (bandwidth x RTT: 100 Mbit/s at 300 ms "
                    + "is 3.75m)");
        } else {
            b.window(window);
        }
        long initialCwnd = s.size("initial_cwnd", TunnelConfig.DEFAULT_INITIAL_CWND);
        if (initialCwnd < TunnelConfig.MIN_INITIAL_CWND) {
            s.problem("initial_cwnd", "'" + s.path() + ".initial_cwnd' must be at least 16k (10 QUIC packets)");
        } else {
            b.initialCwnd(initialCwnd);
        }
        b.idleTimeout(positive(s, "idle_timeout", TunnelConfig.DEFAULT_IDLE_TIMEOUT));
        b.keepalive(positive(s, "keepalive", TunnelConfig.DEFAULT_KEEPALIVE));
        b.redialMax(positive(s, "redial_max", TunnelConfig.DEFAULT_REDIAL_MAX));
        String stateDir = s.string("state_dir", null);
        if (stateDir != null) {
            b.stateDir(s.file(stateDir));
        }
        b.routingMetric(s.bool("routing_metric", false));
        Duration interval = s.duration("metric_interval", TunnelConfig.DEFAULT_METRIC_INTERVAL);
        if (interval == null || interval.toMillis() < 100) {
            s.problem("metric_interval", "'" + s.path() + ".metric_interval' must be at least 100ms");
        } else {
            b.metricInterval(interval);
        }
        s.list("relay", List.of(), TunnelConfig.Relay::parse).forEach(b::relay);
        b.maxUnauthenticated(s.integer("max_unauthenticated", TunnelConfig.DEFAULT_MAX_UNAUTHENTICATED, 1, 1_000_000));
        if (!s.has("sessions")) {
            s.problem("sessions", "'" + s.path() + "' needs 'sessions', each with local, peer and a token");
        } else if (!(s.node("sessions").orElseThrow() instanceof ConfigNode.MapNode)) {
            s.problem("sessions", "'" + s.path() + ".sessions' must be a mapping of session names");
        } else {
            Section all = s.section("sessions");
            for (String name : all.keys()) {
                SessionConfig sc = session(name, all.section(name), all.locate(name));
                if (sc != null) {
                    b.session(sc);
                }
            }
            all.finish();
        }
        s.finish();
        if (s.problems().list().size() > before) {
            return null;
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            s.problems().add(s.location(), "service '" + serviceName + "': " + e.getMessage());
            return null;
        }
    }

    private static HostPort listenAddress(String text) {
        return HostPort.parse(text);
    }

    private static SessionConfig session(String name, Section s, dev.portico.core.config.Location at) {
        int before = s.problems().list().size();
        try {
            SessionConfig.checkName(name);
        } catch (IllegalArgumentException e) {
            s.problems().add(at, "'" + s.path() + "': " + e.getMessage());
        }
        SessionConfig.Builder b = SessionConfig.builder(name);
        b.local(address(s, "local", true));
        b.peer(address(s, "peer", true));
        b.local6(address(s, "local6", false));
        b.peer6(address(s, "peer6", false));
        b.mtu(s.integer("mtu", SessionConfig.DEFAULT_MTU, SessionConfig.MIN_MTU, FrameCodec.MAX_PACKET));
        b.txqueuelen(s.integer("txqueuelen", SessionConfig.DEFAULT_TXQUEUELEN, 1, 1_000_000));
        String token = s.string("token", null);
        String tokenFile = s.string("token_file", null);
        if (token != null && tokenFile != null) {
            s.problem("token_file", "'" + s.path() + "' has both 'token' and 'token_file'; keep one");
        } else if (tokenFile != null) {
            Path f = s.file(tokenFile);
            b.tokenFile(f);
            try {
                token = Files.readString(f, StandardCharsets.UTF_8).strip();
                if (token.isEmpty()) {
                    s.problem("token_file", "'" + s.path() + ".token_file': " + f + " is empty");
                }
            } catch (IOException e) {
                s.problem("token_file", "'" + s.path() + ".token_file': cannot read " + f + ": " + e.getMessage());
            }
        } else if (token == null) {
            s.problem("token", "'" + s.path() + "' needs 'token' or 'token_file'");
        } else if (token.isEmpty()) {
            s.problem("token", "'" + s.path() + ".token' is empty");
        }
        b.token(token);
        b.compress(SessionConfig.Compression.valueOf(s.oneOf("compress", "off", List.of("off", "zlib", "lz4"))
                .toUpperCase(Locale.ROOT)));
        b.transport(SessionConfig.TransportMode.valueOf(s.oneOf("transport", "reliable",
                List.of("reliable", "datagram")).toUpperCase(Locale.ROOT)));
        s.list("routes", List.of(), Route::parse).forEach(b::route);
        b.ifup(script(s, "ifup"));
        b.ifdown(script(s, "ifdown"));
        b.rtch(script(s, "rtch"));
        String target = s.string("target", null);
        if (target != null) {
            try {
                b.target(HostPort.parse(target.contains(":") ? target : target + ":" + TunnelConfig.DEFAULT_PORT));
            } catch (IllegalArgumentException e) {
                s.problem("target", "bad '" + s.path() + ".target': " + e.getMessage());
            }
        }
        String fp = s.string("server_fingerprint", null);
        if (fp != null) {
            try {
                b.serverFingerprint(Fingerprints.normalize(fp));
            } catch (IllegalArgumentException e) {
                s.problem("server_fingerprint", "bad '" + s.path() + ".server_fingerprint': " + e.getMessage());
            }
        }
        String ca = s.string("server_ca", null);
        if (ca != null) {
            Path p = s.file(ca);
            if (!Files.isReadable(p)) {
                s.problem("server_ca", "'" + s.path() + ".server_ca': cannot read " + p);
            }
            b.serverCa(p);
        }
        for (String key : List.of("relay", "routing_metric", "metric_interval")) {
            if (s.has(key)) {
                s.problem(key, "'" + s.path() + "." + key + "' belongs to the service, not to a session; move it up "
                        + "beside 'sessions'");
            }
        }
        s.finish();
        if (s.problems().list().size() > before) {
            return null;
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            s.problems().add(s.location(), e.getMessage());
            return null;
        }
    }

    private static InetAddress address(Section s, String key, boolean required) {
        if (!s.has(key)) {
            if (required) {
                s.problem(key, "'" + s.path() + "' needs '" + key + "' (an IPv4 address)");
            }
            return null;
        }
        String v = s.string(key, null);
        if (v == null || !v.trim().matches("[0-9a-fA-F:.]+")) {
            s.problem(key, "bad '" + s.path() + "." + key + "': '" + v + "' is not an IP address");
            return null;
        }
        try {
            return InetAddress.ofLiteral(v.trim());
        } catch (IllegalArgumentException e) {
            s.problem(key, "bad '" + s.path() + "." + key + "': '" + v + "' is not an IP address");
            return null;
        }
    }

    private static Path script(Section s, String key) {
        String v = s.string(key, null);
        if (v == null) {
            return null;
        }
        Path p = s.file(v);
        if (!Files.isExecutable(p)) {
            s.problem(key, "'" + s.path() + "." + key + "': " + p + " is not an executable file");
        }
        return p;
    }

    private static Duration positive(Section s, String key, Duration def) {
        Duration d = s.duration(key, def);
        if (d == null || d.isZero() || d.isNegative()) {
            s.problem(key, "'" + s.path() + "." + key + "' must be more than 0s");
            return def;
        }
        return d;
    }

    /** Writes a config back as its section; settings at their default are left out, tokens as their files. */
    @Override
    public java.util.Optional<java.util.Map<String, Object>> toYaml(TunnelConfig config) {
        return java.util.Optional.of(TunnelConfigYaml.write(config));
    }

    @Override
    public Service create(String serviceName, TunnelConfig config, ServiceContext context) {
        return new TunnelService(serviceName, config, context);
    }
}
