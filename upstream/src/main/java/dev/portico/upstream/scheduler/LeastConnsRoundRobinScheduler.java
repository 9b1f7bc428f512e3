package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fewest open connections; ties rotate round-robin among the tied backends
 * ({@code leastconnsrr}). Unlike {@link LeastConnsScheduler} it spreads a burst of simultaneous
 * new connections over idle backends even when none has closed a connection yet.
 */
final class LeastConnsRoundRobinScheduler implements Scheduler {

    private static final LeastConnsScheduler TIE_BREAK = new LeastConnsScheduler();

    private final AtomicInteger counter = new AtomicInteger();

    @Override
    public Backend pick(List<Backend> eligible, SelectionContext ctx) {
        Candidates.require(eligible);
        int n = eligible.size();
        long min = Long.MAX_VALUE;
        int ties = 0;
        for (int i = 0; i < n; i++) {
            long open = eligible.get(i).stats().open();
            if (open < min) {
                min = open;
                ties = 1;
            } else if (open == min) {
                ties++;
            }
        }
        int wanted = Math.floorMod(counter.getAndIncrement(), ties);
        for (int i = 0; i < n; i++) {
            Backend b = eligible.get(i);
            if (b.stats().open() == min && wanted-- == 0) {
                return b;
            }
        }
        // Counts moved between the two passes; any least-loaded backend will do.
        return TIE_BREAK.pick(eligible, ctx);
    }

    @Override
    public String name() {
        return "leastconnsrr";
    }
}
