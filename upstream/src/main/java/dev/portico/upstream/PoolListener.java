package dev.portico.upstream;

import java.util.List;

/**
 * Observes membership and eligibility changes of a {@link Pool}. Callbacks run on the thread that
 * made the change, outside the pool's lock; read {@link Pool#eligible()} for the current snapshot
 * rather than relying on callback order across threads.
 */
public interface PoolListener {

    /**
     * A backend joined the pool.
     *
     * @param pool    the pool
     * @param backend the new member
     */
    default void onBackendAdded(Pool pool, Backend backend) {
    }

    /**
     * A backend left the pool.
     *
     * @param pool    the pool
     * @param backend the removed member
     */
    default void onBackendRemoved(Pool pool, Backend backend) {
    }

    /**
     * The snapshot of eligible backends was replaced.
     *
     * @param pool     the pool
     * @param eligible the new snapshot
     */
    default void onEligibleChanged(Pool pool, List<Backend> eligible) {
    }
}
