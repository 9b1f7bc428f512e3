package dev.portico.tunnel;

import io.netty.handler.codec.quic.QuicConnectionPathStats;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Applies {@link RouteMetrics} to the kernel ({@code routing_metric: on}): each period, and when a
 * session comes up or goes down, it measures every live session's round trip with the QUIC
 * path's statistics, plans, deletes and adds the shared routes with the {@code ip} command (in
 * that order), and runs the {@code rtch} script of each session that became a route's best path.
 * Blocking: runs on the blocking executor, one period at a time.
 */
final class RouteManager {

    private static final Logger log = LoggerFactory.getLogger(RouteManager.class);
    private static final long STATS_MILLIS = 2_000;

    private final String service;
    private final List<SessionConfig> sessions;
    private final Set<String> shared;
    private final String ip;
    private final Executor blocking;
    private final RouteMetrics metrics = new RouteMetrics();
    private SessionTable table;
    private volatile Map<String, String> best = Map.of();
    private volatile Map<String, Map<String, Integer>> lastMetrics = Map.of();
    /** A period is waiting to run: more calls to {@link #soon} add nothing (a slow period never piles up). */
    private final java.util.concurrent.atomic.AtomicBoolean queued = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * @param sessions the sessions with devices, in the config's order (their positions)
     * @param ip       the {@code ip} command
     */
    RouteManager(String service, List<SessionConfig> sessions, String ip, Executor blocking) {
        this.service = service;
        this.sessions = List.copyOf(sessions);
        Map<String, List<Route>> routes = new LinkedHashMap<>();
        for (SessionConfig s : sessions) {
            routes.put(s.name(), s.routes());
        }
        this.shared = RouteMetrics.shared(routes);
        this.ip = ip;
        this.blocking = blocking;
    }

    /** The destinations this manager sets: the sessions' own set-up leaves them alone. */
    Set<String> shared() {
        return shared;
    }

    void table(SessionTable t) {
        table = t;
    }

    /** The session each shared destination goes through now. */
    Map<String, String> best() {
        return best;
    }

    /** The metric each session has for each shared destination it carries, as last installed. */
    Map<String, Integer> metrics(String session) {
        return lastMetrics.getOrDefault(session, Map.of());
    }

    /** Plans and applies a period soon, off the caller's thread. */
    void soon() {
        if (shared.isEmpty()) {
            return;
        }
        if (!queued.compareAndSet(false, true)) {
            return;
        }
        try {
            blocking.execute(() -> {
                queued.set(false);
                period();
            });
        } catch (RejectedExecutionException e) {
            queued.set(false);
            log.debug("tunnel '{}': no route period after shutdown", service);
        }
    }

    /** A session's device went away, with the routes the kernel held on it. */
    synchronized void deviceGone(String device) {
        metrics.deviceGone(device);
    }

    /** One period: measure, plan, delete, add, rtch. Blocking. */
    synchronized void period() {
        SessionTable t = table;
        if (shared.isEmpty() || t == null) {
            return;
        }
        List<RouteMetrics.Member> live = new ArrayList<>();
        Map<String, SessionConfig> byName = new LinkedHashMap<>();
        for (int i = 0; i < sessions.size(); i++) {
            SessionConfig s = sessions.get(i);
            Tunnel tunnel = t.active(s.name());
            if (tunnel == null || !tunnel.connection().isActive()) {
                continue;
            }
            byName.put(s.name(), s);
            live.add(new RouteMetrics.Member(s.name(), tunnel.device(), i, rtt(tunnel), s.routes()));
        }
        RouteMetrics.Plan plan = metrics.period(shared, live);
        for (RouteMetrics.Entry e : plan.delete()) {
            try {
                DeviceSetup.run(command("del", e));
            } catch (IOException ex) {
                // the device may have gone with its routes
                log.debug("tunnel '{}': {}", service, ex.getMessage());
            }
        }
        for (RouteMetrics.Entry e : plan.add()) {
            try {
                DeviceSetup.run(command("add", e));
            } catch (IOException ex) {
                log.warn("tunnel '{}': {}", service, ex.getMessage());
            }
        }
        for (String session : plan.rtch()) {
            SessionConfig s = byName.get(session);
            log.info("tunnel '{}': session '{}' is now the best path of {}", service, session,
                    plan.best().entrySet().stream().filter(x -> x.getValue().equals(session)).map(Map.Entry::getKey)
                            .toList());
            if (s != null && s.rtch() != null) {
                try {
                    DeviceSetup.run(s.rtch().toString(), t.active(session) == null ? s.name() : t.active(session).device());
                } catch (IOException ex) {
                    log.warn("tunnel '{}': session '{}': {}", service, session, ex.getMessage());
                }
            }
        }
        best = plan.best();
        Map<String, Map<String, Integer>> bySession = new LinkedHashMap<>();
        Map<String, String> sessionOfDevice = new LinkedHashMap<>();
        for (RouteMetrics.Member m : live) {
            sessionOfDevice.put(m.device(), m.session());
        }
        for (RouteMetrics.Entry e : metrics.installed()) {
            String session = sessionOfDevice.get(e.device());
            if (session != null && e.metric() != 0) {
                bySession.computeIfAbsent(session, k -> new LinkedHashMap<>()).put(e.destination(), e.metric());
            }
        }
        lastMetrics = bySession;
    }

    /** The path's smoothed RTT in nanoseconds, or -1 when QUIC has not measured it. */
    private static long rtt(Tunnel tunnel) {
        Future<QuicConnectionPathStats> f = tunnel.connection().collectPathStats(0);
        try {
            if (f.await(STATS_MILLIS, TimeUnit.MILLISECONDS) && f.isSuccess()) {
                long rtt = f.getNow().rtt();
                return rtt > 0 ? rtt : -1;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return -1;
    }

    private String[] command(String verb, RouteMetrics.Entry e) {
        return new String[] {ip, e.ipv6() ? "-6" : "-4", "route", verb, e.destination(), "metric",
            Integer.toString(e.metric()), "dev", e.device()};
    }
}
