package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;

import java.util.List;

/**
 * Fewest open connections relative to weight ({@code open / weight}, as HAProxy's
 * {@code leastconn}); ties go to the least recently closed backend, as in
 * {@link LeastConnsScheduler}.
 */
final class WeightedLeastConnsScheduler implements Scheduler {

    @Override
    public Backend pick(List<Backend> eligible, SelectionContext ctx) {
        Candidates.require(eligible);
        Backend best = eligible.get(0);
        for (int i = 1, n = eligible.size(); i < n; i++) {
            Backend b = eligible.get(i);
            // Compare b.open/b.weight with best.open/best.weight without division.
            long lhs = b.stats().open() * best.weight();
            long rhs = best.stats().open() * b.weight();
            if (lhs < rhs || lhs == rhs
                    && LeastConnsScheduler.closedEarlier(b.stats().lastCloseNanos(), best.stats().lastCloseNanos())) {
                best = b;
            }
        }
        return best;
    }

    @Override
    public String name() {
        return "weighted-leastconns";
    }
}
