package dev.portico.proxy;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * How many retries a pool may add: at most a percentage of its requests over the last
 * {@value #WINDOW_SECONDS} seconds, and always {@value #MIN_PER_SECOND} per second, so that a
 * quiet pool still retries while a sick one under load is not hammered by a retry storm (as
 * Envoy's retry budget with its minimum retry concurrency). Counts live in one slot per second;
 * a slot is cleared by the first count of a new second, so the window slides by whole seconds.
 * Thread-safe without locks; a count that races with the clearing of its slot may be lost, which a
 * budget can afford.
 */
final class RetryBudget {

    /** Length of the window. */
    static final int WINDOW_SECONDS = 10;
    /** Retries allowed per second of the window whatever the traffic. */
    static final int MIN_PER_SECOND = 3;

    private final int percent;
    private final LongSupplier nanos;
    private final LongAdder[] requests = new LongAdder[WINDOW_SECONDS];
    private final LongAdder[] retries = new LongAdder[WINDOW_SECONDS];
    /** The second each slot counts. */
    private final AtomicLongArray seconds = new AtomicLongArray(WINDOW_SECONDS);

    /**
     * @param percent retries allowed in percent of requests
     * @param nanos   the monotonic clock ({@link System#nanoTime()} in production)
     */
    RetryBudget(int percent, LongSupplier nanos) {
        this.percent = percent;
        this.nanos = nanos;
        for (int i = 0; i < WINDOW_SECONDS; i++) {
            requests[i] = new LongAdder();
            retries[i] = new LongAdder();
            seconds.set(i, Long.MIN_VALUE);
        }
    }

    /** Counts a request (its first attempt). */
    void request() {
        requests[slot(nanos.getAsLong() / 1_000_000_000L)].increment();
    }

    /**
     * Takes a retry from the budget.
     *
     * @return false when the budget is spent: the request must not be retried
     */
    boolean tryRetry() {
        long now = nanos.getAsLong() / 1_000_000_000L;
        int current = slot(now);
        long req = 0;
        long ret = 0;
        for (int i = 0; i < WINDOW_SECONDS; i++) {
            if (now - seconds.get(i) < WINDOW_SECONDS) {
                req += requests[i].sum();
                ret += retries[i].sum();
            }
        }
        long allowed = Math.max((long) MIN_PER_SECOND * WINDOW_SECONDS, req * percent / 100);
        if (ret >= allowed) {
            return false;
        }
        retries[current].increment();
        return true;
    }

    /** The slot of {@code second}, cleared first when it still counts an older second. */
    private int slot(long second) {
        int i = (int) Math.floorMod(second, (long) WINDOW_SECONDS);
        long held = seconds.get(i);
        if (held != second && seconds.compareAndSet(i, held, second)) {
            requests[i].reset();
            retries[i].reset();
        }
        return i;
    }
}
