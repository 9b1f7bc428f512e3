package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;
import dev.portico.upstream.Ticker;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps a client on the backend it got last time ({@code sticky}): a table from affinity key
 * (hash key, else client IP) to backend, with a sliding expiry. New clients, expired entries and
 * entries whose backend is no longer eligible go to the fallback scheduler, and the table then
 * remembers the new choice, so a client that failed over stays on its new backend.
 *
 * <p>The table is bounded: expired entries are swept every {@value #SWEEP_EVERY} picks and when
 * the table is full; a full table of live entries stops learning new clients (they still get the
 * fallback's choice).
 */
public final class StickyScheduler implements Scheduler {

    static final int SWEEP_EVERY = 1024;

    private static final class Entry {
        final Backend backend;
        volatile long expiresAt;

        Entry(Backend backend, long expiresAt) {
            this.backend = backend;
            this.expiresAt = expiresAt;
        }
    }

    private final Scheduler fallback;
    private final long ttlNanos;
    private final Ticker ticker;
    private final int maxEntries;
    private final ConcurrentHashMap<Object, Entry> table = new ConcurrentHashMap<>();
    private final AtomicLong picks = new AtomicLong();

    StickyScheduler(Scheduler fallback, Duration ttl, Ticker ticker, int maxEntries) {
        this.fallback = Objects.requireNonNull(fallback, "fallback");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl: " + ttl + " (expected: > 0)");
        }
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries: " + maxEntries + " (expected: >= 1)");
        }
        this.ttlNanos = ttl.toNanos();
        this.maxEntries = maxEntries;
    }

    @Override
    public Backend pick(List<Backend> eligible, SelectionContext ctx) {
        Candidates.require(eligible);
        Object key = ctx.affinityKey();
        if (key == null) {
            return fallback.pick(eligible, ctx);
        }
        long now = ticker.nanoTime();
        if (picks.incrementAndGet() % SWEEP_EVERY == 0) {
            evictExpired();
        }
        Entry entry = table.get(key);
        if (entry != null && entry.expiresAt - now > 0 && Candidates.contains(eligible, entry.backend)) {
            entry.expiresAt = now + ttlNanos;
            return entry.backend;
        }
        Backend chosen = fallback.pick(eligible, ctx);
        remember(key, chosen, now);
        return chosen;
    }

    private void remember(Object key, Backend backend, long now) {
        if (table.size() >= maxEntries && !table.containsKey(key)) {
            evictExpired();
            if (table.size() >= maxEntries) {
                return;
            }
        }
        table.put(key, new Entry(backend, now + ttlNanos));
    }

    /**
     * Drops expired entries now.
     *
     * @return how many were dropped
     */
    public int evictExpired() {
        long now = ticker.nanoTime();
        int before = table.size();
        table.values().removeIf(e -> e.expiresAt - now <= 0);
        return Math.max(0, before - table.size());
    }

    /**
     * Forgets every entry pointing at a backend, for example one removed from the pool.
     *
     * @param backend the backend
     */
    public void forget(Backend backend) {
        table.values().removeIf(e -> e.backend == backend);
    }

    /**
     * Entries currently held, expired or not.
     *
     * @return the table size
     */
    public int size() {
        return table.size();
    }

    /**
     * The scheduler used when there is no live entry.
     *
     * @return the fallback
     */
    public Scheduler fallback() {
        return fallback;
    }

    @Override
    public String name() {
        return fallback.name() + ",sticky";
    }
}
