package dev.portico.tunnel;

import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * The live tunnels of a service, one per session, and the device work that brings them up and
 * down. That work blocks (the {@code ip} command, scripts), so it runs on the blocking executor,
 * one session at a time under the session's lock: a newer authenticated connection for a session
 * takes the place of the older one, whose device goes first.
 */
final class SessionTable {

    private static final Logger log = LoggerFactory.getLogger(SessionTable.class);

    private final String service;
    private final Map<String, SessionMetrics> metrics;
    private final Executor blocking;
    private final DeviceSetup setup;
    private final long keepaliveMillis;
    private final int datagramLimit;
    private final Map<String, Tunnel> active = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private volatile boolean stopped;
    private volatile RouteManager routes;
    private volatile Map<String, String> relayPeers = Map.of();
    private final Map<String, RelayEnd> relayEnds = new ConcurrentHashMap<>();

    SessionTable(String service, Map<String, SessionMetrics> metrics, Executor blocking, DeviceSetup setup,
                 long keepaliveMillis, int datagramLimit) {
        this.service = service;
        this.metrics = metrics;
        this.blocking = blocking;
        this.setup = setup;
        this.keepaliveMillis = keepaliveMillis;
        this.datagramLimit = datagramLimit;
    }

    /** Tells {@code r} when a device comes and goes ({@code routing_metric: on}). */
    void routes(RouteManager r) {
        routes = r;
    }

    /** The relays: each relayed session and the session at its other end. */
    void relays(Map<String, String> peers) {
        relayPeers = Map.copyOf(peers);
    }

    /** The live end of a relayed session, or null. */
    RelayEnd relayEnd(String session) {
        return relayEnds.get(session);
    }

    SessionMetrics metrics(String session) {
        return metrics.get(session);
    }

    /** The live tunnel of a session, or null. */
    Tunnel active(String session) {
        return active.get(session);
    }

    /**
     * Brings a session up on an authenticated connection: replaces its older tunnel, makes the
     * device, and then runs {@code onUp} on the connection's loop before the tunnel starts.
     */
    void bringUp(SessionConfig s, QuicChannel ch, QuicStreamChannel stream, Link link, Runnable onUp) {
        ch.closeFuture().addListener(f -> run(() -> bringDown(s, ch)));
        run(() -> {
            synchronized (lock(s.name())) {
                if (stopped || !ch.isActive()) {
                    return;
                }
                String other = relayPeers.get(s.name());
                if (other != null) {
                    relayUp(s, ch, stream, link, onUp, other);
                    return;
                }
                Tunnel old = active.remove(s.name());
                if (old != null) {
                    log.info("tunnel '{}': session '{}' from {} replaces the connection from {}", service, s.name(),
                            ch.remoteSocketAddress(), old.connection().remoteSocketAddress());
                    Link.close(old.connection(), Link.CLOSE_REPLACED, "replaced by a newer connection");
                    tearDown(old);
                }
                TunDevice device = null;
                try {
                    device = TunDevice.open(s.name());
                    setup.up(s, device.name());
                } catch (IOException | RuntimeException e) {
                    log.error("tunnel '{}': session '{}' cannot come up: {}", service, s.name(), e.getMessage());
                    if (device != null) {
                        device.close();
                    }
                    Link.close(ch, Link.CLOSE_DEVICE, "the other side cannot set up its device for session '"
                            + s.name() + "'");
                    return;
                }
                Tunnel t = new Tunnel(s, ch, stream, device, metrics.get(s.name()), keepaliveMillis, datagramLimit);
                active.put(s.name(), t);
                ch.eventLoop().execute(() -> {
                    link.tunnel(t);
                    onUp.run();
                });
                t.start();
                RouteManager r = routes;
                if (r != null) {
                    r.soon();
                }
                metrics.get(s.name()).connects.increment();
                log.info("tunnel '{}': session '{}' is up on device {} ({} -> {}, {}{}), peer {}", service, s.name(),
                        device.name(), s.local().getHostAddress(), s.peer().getHostAddress(), s.transport(),
                        s.compress() == SessionConfig.Compression.OFF ? "" : ", " + s.compress(),
                        ch.remoteSocketAddress());
                if (!ch.isActive()) {
                    bringDown(s, ch);
                }
            }
        });
    }

    /** Brings up a relayed session: no device, its frames go to the other session's connection. */
    private void relayUp(SessionConfig s, QuicChannel ch, QuicStreamChannel stream, Link link, Runnable onUp,
                         String other) {
        RelayEnd old = relayEnds.remove(s.name());
        if (old != null) {
            log.info("tunnel '{}': session '{}' from {} replaces the connection from {}", service, s.name(),
                    ch.remoteSocketAddress(), old.connection().remoteSocketAddress());
            Link.close(old.connection(), Link.CLOSE_REPLACED, "replaced by a newer connection");
            old.stop();
        }
        RelayEnd end = new RelayEnd(s, ch, stream, metrics.get(s.name()), keepaliveMillis, datagramLimit, other,
                relayEnds::get);
        relayEnds.put(s.name(), end);
        ch.eventLoop().execute(() -> {
            link.relay(end);
            onUp.run();
        });
        end.start();
        metrics.get(s.name()).connects.increment();
        log.info("tunnel '{}': session '{}' is up, relayed to session '{}'{}, peer {}", service, s.name(), other,
                relayEnds.containsKey(other) ? "" : " (not up yet)", ch.remoteSocketAddress());
        if (!ch.isActive()) {
            bringDown(s, ch);
        }
    }

    /** Runs device work on the blocking executor; once that is shut down, {@link #stopAll} does it instead. */
    private void run(Runnable work) {
        try {
            blocking.execute(work);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("tunnel '{}': device work after shutdown left to stopAll", service);
        }
    }

    /** Takes a session's tunnel down when it runs on {@code ch}; a newer one is left alone. */
    void bringDown(SessionConfig s, QuicChannel ch) {
        synchronized (lock(s.name())) {
            RelayEnd r = relayEnds.get(s.name());
            if (r != null && r.connection() == ch) {
                relayEnds.remove(s.name());
                r.stop();
                log.info("tunnel '{}': session '{}' is down; its relay to '{}' waits for it", service, s.name(),
                        r.other());
                return;
            }
            Tunnel t = active.get(s.name());
            if (t != null && t.connection() == ch) {
                active.remove(s.name());
                tearDown(t);
                log.info("tunnel '{}': session '{}' is down", service, s.name());
            }
        }
    }

    private void tearDown(Tunnel t) {
        setup.down(t.session(), t.device());
        t.stop();
        RouteManager r = routes;
        if (r != null) {
            r.deviceGone(t.device());
            if (!stopped) {
                r.soon();
            }
        }
    }

    /** Closes every connection and takes every device down; blocking. */
    void stopAll() {
        stopped = true;
        for (String name : relayEnds.keySet()) {
            synchronized (lock(name)) {
                RelayEnd r = relayEnds.remove(name);
                if (r != null) {
                    Link.close(r.connection(), Link.CLOSE_NORMAL, "shutting down");
                    r.stop();
                }
            }
        }
        for (String name : active.keySet()) {
            synchronized (lock(name)) {
                Tunnel t = active.remove(name);
                if (t != null) {
                    Link.close(t.connection(), Link.CLOSE_NORMAL, "shutting down");
                    tearDown(t);
                }
            }
        }
    }

    private Object lock(String session) {
        return locks.computeIfAbsent(session, k -> new Object());
    }
}
