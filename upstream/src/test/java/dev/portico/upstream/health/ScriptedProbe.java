package dev.portico.upstream.health;

import dev.portico.upstream.Backend;
import dev.portico.upstream.ManualTimer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** A probe whose answers the test sets per backend, recording when each check started. */
final class ScriptedProbe implements Probe {

    private final ManualTimer clock;
    private final Set<Backend> failing = new HashSet<>();
    private final Map<Backend, List<Long>> calls = new HashMap<>();
    private final List<CompletableFuture<ProbeResult>> held = new ArrayList<>();
    private boolean hold;

    ScriptedProbe(ManualTimer clock) {
        this.clock = clock;
    }

    void fail(Backend b) {
        failing.add(b);
    }

    void pass(Backend b) {
        failing.remove(b);
    }

    /** From now on, leave results pending until {@link #release(boolean)}. */
    void hold() {
        hold = true;
    }

    /** Completes every pending check and stops holding. */
    void release(boolean healthy) {
        hold = false;
        held.forEach(f -> f.complete(healthy ? ProbeResult.passed("late pass") : ProbeResult.failed("late failure")));
        held.clear();
    }

    int calls(Backend b) {
        return calls.getOrDefault(b, List.of()).size();
    }

    /** Milliseconds between consecutive checks of a backend. */
    List<Long> gapsMillis(Backend b) {
        List<Long> times = calls.getOrDefault(b, List.of());
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < times.size(); i++) {
            gaps.add((times.get(i) - times.get(i - 1)) / 1_000_000);
        }
        return gaps;
    }

    @Override
    public CompletableFuture<ProbeResult> check(Backend backend) {
        calls.computeIfAbsent(backend, k -> new ArrayList<>()).add(clock.nanoTime());
        if (hold) {
            CompletableFuture<ProbeResult> f = new CompletableFuture<>();
            held.add(f);
            return f;
        }
        return CompletableFuture.completedFuture(failing.contains(backend)
                ? ProbeResult.failed("scripted failure") : ProbeResult.passed("scripted pass"));
    }
}
