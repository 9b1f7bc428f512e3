package dev.portico.tunnel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * 3wdd's route metrics ({@code routing_metric: on}): a route that several sessions carry goes
 * through the one with the shortest round trip.
 *
 * <p>Each period every live session that carries such a shared route has it installed on its
 * device with metric {@code max(1, rtt_ms × 10)}, or the route's fixed metric when the config
 * gives one; a session not measured yet enters at {@code 327670 + j} ({@code j} its position
 * in the config), so that a new tunnel stays last until it has been measured. The session with
 * the lowest metric also gets the route at metric 0, which the kernel prefers; when that session
 * changes, its {@code rtch} script runs. Two sessions whose metrics come out equal are told
 * apart by their position (the later one one higher), since the kernel keys a route by its
 * destination and metric.
 *
 * <p>This class only plans: {@link #period} returns the entries to delete and to add, in that
 * order, and the sessions whose {@code rtch} runs; it remembers what it planned as installed.
 */
final class RouteMetrics {

    /** Where a session that has not been measured yet enters. */
    static final int UNMEASURED = 327_670;

    /**
     * A session as one period sees it.
     *
     * @param session  its name
     * @param device   its TUN device
     * @param position its place in the config (0, 1...)
     * @param rttNanos its smoothed round-trip time, or -1 when not measured yet
     * @param routes   the routes it carries
     */
    record Member(String session, String device, int position, long rttNanos, List<Route> routes) {
        Member {
            Objects.requireNonNull(session, "session");
            Objects.requireNonNull(device, "device");
            routes = List.copyOf(routes);
        }
    }

    /** One kernel route: a destination on a device at a metric. */
    record Entry(String destination, boolean ipv6, String device, int metric) {
    }

    /**
     * What a period changes.
     *
     * @param delete entries to delete first
     * @param add    entries to add then
     * @param rtch   sessions that became the best path of some route, whose {@code rtch} runs
     * @param best   the session each shared destination goes through now
     */
    record Plan(List<Entry> delete, List<Entry> add, Set<String> rtch, Map<String, String> best) {
        boolean changes() {
            return !delete.isEmpty() || !add.isEmpty();
        }
    }

    private final Set<Entry> installed = new LinkedHashSet<>();
    private final Map<String, String> best = new HashMap<>();

    /**
     * Destinations carried by more than one of the configured sessions: the only ones whose
     * metrics are managed. Others keep what the session's own set-up gives them.
     */
    static Set<String> shared(Map<String, List<Route>> routesBySession) {
        Map<String, Integer> count = new HashMap<>();
        for (List<Route> routes : routesBySession.values()) {
            Set<String> once = new HashSet<>();
            for (Route r : routes) {
                if (once.add(r.destination())) {
                    count.merge(r.destination(), 1, Integer::sum);
                }
            }
        }
        Set<String> out = new LinkedHashSet<>();
        count.forEach((dest, n) -> {
            if (n > 1) {
                out.add(dest);
            }
        });
        return out;
    }

    /** The metric of one session for one route, before ties are broken. */
    static int metric(Member m, Route r) {
        if (r.metric() >= 0) {
            return r.metric();
        }
        if (m.rttNanos() < 0) {
            return UNMEASURED + m.position();
        }
        long tenthsOfMs = m.rttNanos() / 100_000L;
        return (int) Math.max(1, Math.min(UNMEASURED - 1, tenthsOfMs));
    }

    /**
     * Plans one period for the live sessions.
     *
     * @param shared destinations that several configured sessions carry ({@link #shared})
     * @param live   the sessions that are up now
     */
    Plan period(Set<String> shared, List<Member> live) {
        Set<Entry> wanted = new LinkedHashSet<>();
        Map<String, String> nowBest = new LinkedHashMap<>();
        Map<String, String> bestDevice = new HashMap<>();
        for (String dest : shared) {
            List<Candidate> carriers = new ArrayList<>();
            for (Member m : live) {
                for (Route r : m.routes()) {
                    if (r.destination().equals(dest)) {
                        carriers.add(new Candidate(m, r, metric(m, r)));
                        break;
                    }
                }
            }
            if (carriers.isEmpty()) {
                continue;
            }
            carriers.sort(Comparator.comparingInt(Candidate::metric).thenComparingInt(c -> c.member().position()));
            Set<Integer> used = new HashSet<>();
            used.add(0);
            for (Candidate c : carriers) {
                int metric = c.metric();
                while (!used.add(metric)) {
                    metric++;
                }
                wanted.add(new Entry(dest, c.route().ipv6(), c.member().device(), metric));
            }
            Candidate first = carriers.getFirst();
            wanted.add(new Entry(dest, first.route().ipv6(), first.member().device(), 0));
            nowBest.put(dest, first.member().session());
            bestDevice.put(dest, first.member().device());
        }
        List<Entry> delete = new ArrayList<>();
        for (Entry e : installed) {
            if (!wanted.contains(e)) {
                delete.add(e);
            }
        }
        List<Entry> add = new ArrayList<>();
        for (Entry e : wanted) {
            if (!installed.contains(e)) {
                add.add(e);
            }
        }
        Set<String> rtch = new LinkedHashSet<>();
        nowBest.forEach((dest, session) -> {
            if (!session.equals(best.get(dest))) {
                rtch.add(session);
            }
        });
        installed.clear();
        installed.addAll(wanted);
        best.clear();
        best.putAll(nowBest);
        return new Plan(List.copyOf(delete), List.copyOf(add), Set.copyOf(rtch), Map.copyOf(nowBest));
    }

    /** What is installed now, as planned. */
    Set<Entry> installed() {
        return Set.copyOf(installed);
    }

    /**
     * Forgets a device that went away with its routes (the kernel drops them with it), so that
     * the next period adds them again when it is back.
     */
    void deviceGone(String device) {
        installed.removeIf(e -> e.device().equals(device));
    }

    private record Candidate(Member member, Route route, int metric) {
    }
}
