package dev.portico.upstream.health;

import dev.portico.upstream.Backend;
import dev.portico.upstream.Cancellable;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.TaskTimer;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Checks one backend and applies rise/fall. Confined to the checker's {@link TaskTimer}: every
 * method runs on it, so the fields need no synchronisation.
 */
final class BackendMonitor {

    private final Backend backend;
    private final HealthChecker checker;
    private final HealthCheckConfig config;
    private final TaskTimer timer;

    private int passes;
    private int failures;
    private boolean inFlight;
    private boolean discardPass;
    private boolean stopped;
    private long generation;
    private Cancellable nextCheck;
    private long nextDue;
    private Cancellable checkTimeout;

    BackendMonitor(Backend backend, HealthChecker checker) {
        this.backend = backend;
        this.checker = checker;
        this.config = checker.config();
        this.timer = checker.timer();
    }

    void start() {
        checkWithin(Duration.ZERO);
    }

    void stop() {
        stopped = true;
        cancel(nextCheck);
        cancel(checkTimeout);
        nextCheck = null;
        checkTimeout = null;
    }

    /** Makes sure a check starts within the delay; keeps an earlier one, replaces a later one. */
    void checkWithin(Duration delay) {
        if (stopped || inFlight) {
            return;
        }
        long due = timer.nanoTime() + delay.toNanos();
        if (nextCheck != null && nextDue - due <= 0) {
            return;
        }
        cancel(nextCheck);
        nextDue = due;
        nextCheck = timer.schedule(this::runCheck, delay);
    }

    /** Someone else changed the health: start counting afresh, and check soon if it went down. */
    void healthChanged(HealthState to) {
        passes = 0;
        failures = 0;
        if (to == HealthState.DOWN) {
            discardPass = inFlight;
            checkWithin(currentInterval());
        }
    }

    private void runCheck() {
        if (stopped) {
            return;
        }
        nextCheck = null;
        inFlight = true;
        discardPass = false;
        long gen = ++generation;
        checkTimeout = timer.schedule(() -> finish(gen, ProbeResult.unfinished(config.timeout())), config.deadline());
        CompletableFuture<ProbeResult> probe;
        try {
            probe = checker.probe().check(backend);
        } catch (RuntimeException e) {
            probe = CompletableFuture.failedFuture(e);
        }
        probe.whenComplete((result, error) -> {
            ProbeResult r = result != null ? result : ProbeResult.failed(unwrap(error));
            checker.post(() -> finish(gen, r));
        });
    }

    private void finish(long gen, ProbeResult result) {
        if (stopped || !inFlight || gen != generation) {
            return;
        }
        inFlight = false;
        cancel(checkTimeout);
        checkTimeout = null;
        apply(result);
        checkWithin(currentInterval());
    }

    private void apply(ProbeResult result) {
        HealthState health = backend.health();
        if (result.healthy()) {
            if (discardPass) {
                return;
            }
            failures = 0;
            passes++;
            if (health == HealthState.UNKNOWN) {
                backend.markHealth(HealthState.UP, "first check passed: " + result.detail());
            } else if (health == HealthState.DOWN && passes >= config.rise()) {
                backend.markHealth(HealthState.UP, "check passed " + passes + "/" + config.rise() + ": "
                        + result.detail());
            }
        } else {
            passes = 0;
            failures++;
            if (health != HealthState.DOWN && failures >= config.fall()) {
                backend.markHealth(HealthState.DOWN, "check failed " + failures + "/" + config.fall() + ": "
                        + result.detail());
            }
        }
    }

    private Duration currentInterval() {
        if (backend.health() != HealthState.DOWN) {
            return config.interval();
        }
        return checker.aggressive() ? config.allDownInterval() : config.downInterval();
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
    }

    private static void cancel(Cancellable task) {
        if (task != null) {
            task.cancel();
        }
    }
}
