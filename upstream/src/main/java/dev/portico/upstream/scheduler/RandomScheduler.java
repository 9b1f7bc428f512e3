package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;

import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/** Uniform random choice ({@code random}; txLoadBalancer {@code rand}). */
final class RandomScheduler implements Scheduler {

    private final Supplier<? extends RandomGenerator> random;

    RandomScheduler(Supplier<? extends RandomGenerator> random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public Backend pick(List<Backend> eligible, SelectionContext ctx) {
        Candidates.require(eligible);
        return eligible.get(random.get().nextInt(eligible.size()));
    }

    @Override
    public String name() {
        return "random";
    }
}
