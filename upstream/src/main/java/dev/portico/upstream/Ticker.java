package dev.portico.upstream;

import java.time.Instant;

/**
 * Source of time for everything in this module, injected so tests can use a manual clock instead
 * of sleeping.
 */
public interface Ticker {

    /**
     * Monotonic nanoseconds, for ordering and expiry; only differences are meaningful.
     *
     * @return the current monotonic time in nanoseconds
     */
    long nanoTime();

    /**
     * Wall-clock time, for timestamps shown to people.
     *
     * @return the current instant
     */
    Instant now();

    /**
     * The system ticker: {@link System#nanoTime()} and {@link Instant#now()}.
     *
     * @return the system ticker
     */
    static Ticker system() {
        return SystemTicker.INSTANCE;
    }
}

/** {@link Ticker} backed by the system clocks. */
enum SystemTicker implements Ticker {
    INSTANCE;

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Instant now() {
        return Instant.now();
    }
}
