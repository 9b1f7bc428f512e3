package dev.portico.tunnel;

import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.net.HostPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A running tunnel service: the server side when the mode accepts, one {@link TunnelClient} per
 * dialled session when it dials, and the table of live tunnels they share.
 */
public final class TunnelService implements Service {

    private static final Logger log = LoggerFactory.getLogger(TunnelService.class);

    private final String name;
    private final TunnelConfig config;
    private final ServiceContext context;
    private final Map<String, SessionMetrics> metrics = new LinkedHashMap<>();
    private final List<TunnelClient> clients = new ArrayList<>();
    private SessionTable table;
    private TunnelServer server;
    private ServerIdentity identity;
    private RouteManager routes;
    private io.netty.util.concurrent.ScheduledFuture<?> routePeriod;

    public TunnelService(String name, TunnelConfig config, ServiceContext context) {
        this.name = name;
        this.config = config;
        this.context = context;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return "tunnel";
    }

    public TunnelConfig config() {
        return config;
    }

    /** The server certificate's fingerprint, or null when this service does not accept. */
    public String fingerprint() {
        return identity == null ? null : identity.fingerprint();
    }

    /** The addresses the server side listens on, as bound. */
    public List<InetSocketAddress> listenAddresses() {
        return server == null ? List.of() : server.bound();
    }

    /** The device of a session while it is up, or null. */
    public String device(String session) {
        Tunnel t = table == null ? null : table.active(session);
        return t == null ? null : t.device();
    }

    /** Every session, in config order, with its state and its connection's statistics. */
    public List<TunnelSessionStatus> status() {
        List<TunnelSessionStatus> out = new ArrayList<>();
        SessionTable t = table;
        RouteManager r = routes;
        for (SessionConfig s : config.sessions().values()) {
            SessionMetrics m = metrics.get(s.name());
            if (m == null || t == null) {
                continue;
            }
            Tunnel tunnel = t.active(s.name());
            RelayEnd relay = t.relayEnd(s.name());
            io.netty.handler.codec.quic.QuicChannel ch = tunnel != null ? tunnel.connection()
                    : relay != null ? relay.connection() : null;
            boolean up = ch != null && ch.isActive();
            TunnelConfig.Relay rel = config.relayOf(s.name());
            List<String> best = new ArrayList<>();
            if (r != null) {
                r.best().forEach((dest, session) -> {
                    if (session.equals(s.name())) {
                        best.add(dest);
                    }
                });
            }
            out.add(new TunnelSessionStatus(s.name(), up ? "up" : "down", s.client() ? "client" : "server",
                    up && ch.remoteSocketAddress() != null ? address(ch.remoteSocketAddress()) : null,
                    tunnel != null && up ? tunnel.device() : null, rel == null ? null : rel.other(s.name()),
                    s.transport().toString(), number(m.rttSeconds() * 1000), number(m.cwnd()), number(m.lost()),
                    m.bytesIn.sum(), m.bytesOut.sum(), m.packetsIn.sum(), m.packetsOut.sum(), m.connects.sum(),
                    r == null ? Map.of() : r.metrics(s.name()), best));
        }
        return out;
    }

    /**
     * Drops a session's connection, so that its client dials again (this side's, or the peer's).
     *
     * @return false when the session is not up
     * @throws IllegalArgumentException for a session the service does not have
     */
    public boolean reconnect(String session) {
        if (!config.sessions().containsKey(session)) {
            throw new IllegalArgumentException("tunnel '" + name + "' has no session '" + session + "'");
        }
        SessionTable t = table;
        if (t == null) {
            return false;
        }
        Tunnel tunnel = t.active(session);
        RelayEnd relay = t.relayEnd(session);
        io.netty.handler.codec.quic.QuicChannel ch = tunnel != null ? tunnel.connection()
                : relay != null ? relay.connection() : null;
        if (ch == null || !ch.isActive()) {
            return false;
        }
        log.info("tunnel '{}': session '{}': reconnecting, as the admin asked", name, session);
        Link.close(ch, Link.CLOSE_NORMAL, "reconnect asked by the admin");
        return true;
    }

    private static String address(java.net.SocketAddress a) {
        return a instanceof InetSocketAddress i ? HostPort.of(i).toString() : a.toString();
    }

    private static Double number(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 1000) / 1000.0;
    }

    /** The state directory the certificate lives under: the service's own, or the process's. */
    Path stateDir() {
        return config.stateDir() != null ? config.stateDir() : context.stateDir();
    }

    @Override
    public void start() throws Exception {
        String why = TunDevice.unavailable();
        if (why != null) {
            throw new IllegalStateException("tunnel '" + name + "': " + why);
        }
        for (SessionConfig s : config.sessions().values()) {
            metrics.put(s.name(), new SessionMetrics(name, s.name(), context.meters()));
        }
        DeviceSetup setup = new DeviceSetup("ip");
        if (config.routingMetric()) {
            List<SessionConfig> withDevices = config.sessions().values().stream()
                    .filter(s -> config.relayOf(s.name()) == null).toList();
            routes = new RouteManager(name, withDevices, "ip", context.blocking());
            setup = new DeviceSetup("ip", routes.shared());
        }
        table = new SessionTable(name, metrics, context.blocking(), setup,
                config.keepalive().toMillis(), FrameCodec.datagramLimit(config.udpPayload()));
        Map<String, String> relayPeers = new LinkedHashMap<>();
        for (TunnelConfig.Relay r : config.relays()) {
            relayPeers.put(r.a(), r.b());
            relayPeers.put(r.b(), r.a());
        }
        table.relays(relayPeers);
        if (routes != null && !routes.shared().isEmpty()) {
            routes.table(table);
            table.routes(routes);
            long every = config.metricInterval().toMillis();
            RouteManager r = routes;
            routePeriod = context.workers().next().scheduleAtFixedRate(r::soon, every, every,
                    java.util.concurrent.TimeUnit.MILLISECONDS);
            log.info("tunnel '{}': routes {} go through the session with the shortest round trip, measured every {}",
                    name, routes.shared(), dev.portico.core.config.Durations.format(config.metricInterval()));
        }
        try {
            if (config.mode().accepts()) {
                identity = ServerIdentity.ensure(stateDir(), name, context.clock());
                server = new TunnelServer(name, config, context, table, identity);
                server.start();
                log.info("tunnel '{}': listening on {}; certificate fingerprint {}", name, server.bound(),
                        identity.fingerprint());
            }
            for (String d : config.dial()) {
                TunnelClient c = new TunnelClient(name, config.sessions().get(d), config, context, table);
                clients.add(c);
                c.start();
            }
        } catch (Exception e) {
            stop(Duration.ZERO);
            throw e;
        }
    }

    @Override
    public void stop(Duration grace) {
        if (routePeriod != null) {
            routePeriod.cancel(false);
            routePeriod = null;
        }
        clients.forEach(TunnelClient::stop);
        clients.clear();
        if (server != null) {
            server.stop();
        }
        if (table != null) {
            table.stopAll();
        }
        metrics.values().forEach(SessionMetrics::close);
        metrics.clear();
    }

    @Override
    public List<String> endpoints() {
        List<String> out = new ArrayList<>();
        if (server != null) {
            for (InetSocketAddress a : server.bound()) {
                out.add("quic://" + HostPort.of(a) + " (fingerprint " + identity.fingerprint() + ")");
            }
        }
        for (String d : config.dial()) {
            out.add(d + " -> " + config.sessions().get(d).target());
        }
        return out;
    }
}
