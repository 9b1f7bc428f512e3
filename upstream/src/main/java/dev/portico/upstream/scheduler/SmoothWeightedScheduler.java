package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Smooth weighted round robin as in nginx ({@code weighted}): every pick adds each backend's
 * weight to its running score, takes the highest score, and subtracts the total weight from it.
 * Weights 5,1,1 give {@code a a b a c a a} rather than {@code a a a a a b c}.
 *
 * <p>The sequence is deterministic per snapshot, so it is computed once per snapshot (weights
 * reduced by their GCD) and replayed with an atomic counter; picks are lock-free. Only when the
 * reduced total exceeds {@value #MAX_PRECOMPUTED} does it fall back to stepping live under a lock.
 */
final class SmoothWeightedScheduler implements Scheduler {

    static final int MAX_PRECOMPUTED = 1 << 16;

    private final AtomicInteger counter = new AtomicInteger();
    private final SnapshotCache<Plan> plans = new SnapshotCache<>(Plan::of);

    @Override
    public Backend pick(List<Backend> eligible, SelectionContext ctx) {
        Candidates.require(eligible);
        return plans.get(eligible).next(counter);
    }

    @Override
    public String name() {
        return "weighted";
    }

    /** The per-snapshot state: a precomputed cycle, or a live stepper for huge totals. */
    private record Plan(Backend[] cycle, Stepper live) {

        static Plan of(List<Backend> backends) {
            Stepper stepper = new Stepper(backends);
            if (stepper.total > MAX_PRECOMPUTED) {
                return new Plan(null, stepper);
            }
            Backend[] cycle = new Backend[(int) stepper.total];
            for (int i = 0; i < cycle.length; i++) {
                cycle[i] = stepper.next();
            }
            return new Plan(cycle, null);
        }

        Backend next(AtomicInteger counter) {
            if (cycle != null) {
                return cycle[Math.floorMod(counter.getAndIncrement(), cycle.length)];
            }
            return live.next();
        }
    }

    /** nginx's algorithm, one step per call. */
    static final class Stepper {
        private final List<Backend> backends;
        private final long[] weights;
        private final long[] current;
        private final long total;

        Stepper(List<Backend> backends) {
            this.backends = backends;
            int n = backends.size();
            long gcd = 0;
            for (Backend b : backends) {
                gcd = gcd(gcd, b.weight());
            }
            weights = new long[n];
            current = new long[n];
            long sum = 0;
            for (int i = 0; i < n; i++) {
                weights[i] = backends.get(i).weight() / gcd;
                sum += weights[i];
            }
            total = sum;
        }

        synchronized Backend next() {
            int best = 0;
            for (int i = 0; i < weights.length; i++) {
                current[i] += weights[i];
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            return backends.get(best);
        }

        private static long gcd(long a, long b) {
            return b == 0 ? a : gcd(b, a % b);
        }
    }
}
