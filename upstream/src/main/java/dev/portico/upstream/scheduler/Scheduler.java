package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;
import dev.portico.upstream.Pool;

import java.util.List;
import java.util.Optional;

/**
 * Picks one backend for a new connection or request. Implementations are thread-safe and may
 * keep state (a counter, a sticky table, a lookup table cached per snapshot).
 *
 * <p>Pass {@link Pool#eligible()} snapshots unchanged: schedulers cache per-snapshot tables by
 * list identity.
 */
public interface Scheduler {

    /**
     * Picks a backend.
     *
     * @param eligible the candidates, not empty (usually {@link Pool#eligible()})
     * @param ctx      what is known about the request
     * @return one of the candidates
     * @throws java.util.NoSuchElementException if {@code eligible} is empty
     */
    Backend pick(List<Backend> eligible, SelectionContext ctx);

    /**
     * The canonical name, as accepted by {@link Schedulers#byName(String)}.
     *
     * @return the name
     */
    String name();

    /**
     * Picks from a pool's current snapshot.
     *
     * @param pool the pool
     * @param ctx  what is known about the request
     * @return the chosen backend, or empty when no backend is eligible
     */
    default Optional<Backend> select(Pool pool, SelectionContext ctx) {
        List<Backend> eligible = pool.eligible();
        return eligible.isEmpty() ? Optional.empty() : Optional.of(pick(eligible, ctx));
    }

}
