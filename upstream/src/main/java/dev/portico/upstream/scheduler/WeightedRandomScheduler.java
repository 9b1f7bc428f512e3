package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Random choice with probability proportional to weight ({@code weighted-random};
 * txLoadBalancer {@code weightr}): draw an integer below the total weight and find the backend
 * whose cumulative weight range holds it. Cumulative sums are cached per snapshot; a pick is a
 * binary search.
 */
final class WeightedRandomScheduler implements Scheduler {

    private final Supplier<? extends RandomGenerator> random;
    private final SnapshotCache<long[]> cumulative = new SnapshotCache<>(WeightedRandomScheduler::cumulative);

    WeightedRandomScheduler(Supplier<? extends RandomGenerator> random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public Backend pick(List<Backend> eligible, SelectionContext ctx) {
        Candidates.require(eligible);
        long[] sums = cumulative.get(eligible);
        long draw = random.get().nextLong(sums[sums.length - 1]);
        int i = Arrays.binarySearch(sums, draw + 1);
        return eligible.get(i >= 0 ? i : -i - 1);
    }

    private static long[] cumulative(List<Backend> backends) {
        long[] sums = new long[backends.size()];
        long sum = 0;
        for (int i = 0; i < sums.length; i++) {
            sum += backends.get(i).weight();
            sums[i] = sum;
        }
        return sums;
    }

    @Override
    public String name() {
        return "weighted-random";
    }
}
