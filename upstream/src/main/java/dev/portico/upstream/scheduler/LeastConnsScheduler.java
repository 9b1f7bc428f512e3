package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;
import dev.portico.upstream.BackendStats;

import java.util.List;

/**
 * Fewest open connections; ties go to the backend whose last connection closed least recently
 * (never closed counts as oldest), then to the earlier backend in the snapshot. This is
 * txLoadBalancer's {@code leastc} and PythonDirector's {@code leastconnsrr} ordering
 * {@code (open, lastclose, host)}.
 */
final class LeastConnsScheduler implements Scheduler {

    @Override
    public Backend pick(List<Backend> eligible, SelectionContext ctx) {
        Candidates.require(eligible);
        Backend best = eligible.get(0);
        long bestOpen = best.stats().open();
        long bestClose = best.stats().lastCloseNanos();
        for (int i = 1, n = eligible.size(); i < n; i++) {
            Backend b = eligible.get(i);
            BackendStats s = b.stats();
            long open = s.open();
            if (open > bestOpen) {
                continue;
            }
            long close = s.lastCloseNanos();
            if (open < bestOpen || closedEarlier(close, bestClose)) {
                best = b;
                bestOpen = open;
                bestClose = close;
            }
        }
        return best;
    }

    /** Whether {@code a} is an older close than {@code b}; 0 means never closed (oldest). */
    static boolean closedEarlier(long a, long b) {
        if (a == b) {
            return false;
        }
        if (a == 0) {
            return true;
        }
        if (b == 0) {
            return false;
        }
        return a - b < 0;
    }

    @Override
    public String name() {
        return "leastconns";
    }
}
