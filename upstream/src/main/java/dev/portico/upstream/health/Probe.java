package dev.portico.upstream.health;

import dev.portico.upstream.Backend;

import java.util.concurrent.CompletableFuture;

/**
 * One kind of active check. {@link HealthChecker} calls it once per check and also enforces the
 * configured timeout itself, so an implementation that never completes only costs a timeout.
 */
@FunctionalInterface
public interface Probe {

    /**
     * Starts a check of the backend.
     *
     * @param backend the backend to check
     * @return completes with the result; may also complete exceptionally, which counts as failed
     */
    CompletableFuture<ProbeResult> check(Backend backend);
}
