package dev.portico.upstream;

/**
 * Receives every health transition of a backend, whether caused by an active check, a data-path
 * connect failure, or an operator. Called on the thread that made the change; implementations
 * must be fast and thread-safe (count a metric, enqueue a log line).
 */
@FunctionalInterface
public interface HealthListener {

    /**
     * Called after the backend's health changed.
     *
     * @param backend the backend
     * @param from    the previous state
     * @param to      the new state
     * @param reason  why it changed, for logs and status pages
     */
    void onChange(Backend backend, HealthState from, HealthState to, String reason);
}
