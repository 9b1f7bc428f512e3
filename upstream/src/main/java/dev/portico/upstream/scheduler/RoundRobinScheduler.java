package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Cycles through the snapshot in order ({@code roundrobin}; txLoadBalancer {@code roundr}). The
 * counter survives snapshot changes, so a shrinking or growing pool keeps rotating without
 * restarting at the first backend.
 */
final class RoundRobinScheduler implements Scheduler {

    private final AtomicInteger counter = new AtomicInteger();

    @Override
    public Backend pick(List<Backend> eligible, SelectionContext ctx) {
        Candidates.require(eligible);
        return eligible.get(Math.floorMod(counter.getAndIncrement(), eligible.size()));
    }

    @Override
    public String name() {
        return "roundrobin";
    }
}
