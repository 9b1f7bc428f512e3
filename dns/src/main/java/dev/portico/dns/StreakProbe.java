package dev.portico.dns;

import dev.portico.upstream.AdminState;
import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.Pool;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.Probe;
import dev.portico.upstream.health.ProbeResult;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Wraps a pool's probe to count each backend's run of passes and failures since its last health
 * change, the same way the health checker counts them for rise and fall. The counts tell whether
 * a backend is near a state change, which shortens the TTL of answers that depend on it.
 */
final class StreakProbe implements Probe {

    /** A backend's current run; written by probe completions, read by queries. */
    static final class Streak {
        private volatile int passes;
        private volatile int failures;

        void record(boolean healthy) {
            if (healthy) {
                failures = 0;
                passes++;
            } else {
                passes = 0;
                failures++;
            }
        }

        void reset() {
            passes = 0;
            failures = 0;
        }
    }

    private final Probe delegate;
    private final Duration timeout;
    private final Duration deadline;
    private final Map<Backend, Streak> streaks = new ConcurrentHashMap<>();

    /**
     * @param delegate the pool's probe
     * @param health   the record's check settings, for its timeout and deadline
     * @param pool     the pool whose health changes start each count afresh
     */
    StreakProbe(Probe delegate, HealthCheckConfig health, Pool pool) {
        this.delegate = delegate;
        this.timeout = health.timeout();
        this.deadline = health.deadline();
        pool.addHealthListener((backend, from, to, reason) -> streak(backend).reset());
    }

    @Override
    public CompletableFuture<ProbeResult> check(Backend backend) {
        CompletableFuture<ProbeResult> probe;
        try {
            probe = delegate.check(backend);
        } catch (RuntimeException e) {
            probe = CompletableFuture.failedFuture(e);
        }
        // The probe bounds itself by the timeout and says what it waited for; this only ends one that
        // does not, at the deadline at which the health checker counts it failed as well.
        return probe.completeOnTimeout(ProbeResult.unfinished(timeout), deadline.toNanos(), TimeUnit.NANOSECONDS)
                .whenComplete((result, error) -> streak(backend).record(error == null && result.healthy()));
    }

    /**
     * Whether a health change of the backend may be near: it has not been checked yet, it is up
     * but its last checks failed, or it is down but its last checks passed. An address an operator
     * forced up or down changes only when the operator says so.
     */
    boolean nearChange(Backend backend) {
        if (backend.adminState() != AdminState.ENABLED) {
            return false;
        }
        HealthState health = backend.health();
        Streak s = streaks.get(backend);
        return switch (health) {
            case UNKNOWN -> true;
            case UP -> s != null && s.failures > 0;
            case DOWN -> s != null && s.passes > 0;
        };
    }

    private Streak streak(Backend backend) {
        return streaks.computeIfAbsent(backend, b -> new Streak());
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
