package dev.portico.upstream.health;

import dev.portico.upstream.Backend;

import java.util.concurrent.CompletableFuture;

/**
 * One kind of active check. {@link HealthChecker} calls it once per check. An implementation
 * bounds its work by the configured timeout and then fails saying what it was waiting for; the
 * checker also ends a check itself at its {@linkplain HealthCheckConfig#deadline() deadline}, a
 * little later, so one that never completes only costs that much.
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
