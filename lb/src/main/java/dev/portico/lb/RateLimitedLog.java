package dev.portico.lb;

import dev.portico.core.net.HostPort;
import org.slf4j.Logger;

import java.net.InetSocketAddress;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A warning that may fire for every connection (no backend left, session cap reached) but is
 * logged at most once per interval. The lines skipped meanwhile are counted and the next line
 * logged says how many there were, so a storm costs one line a second and loses no information
 * that the metrics do not keep anyway.
 */
final class RateLimitedLog {

    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private long last;
    private boolean any;
    private long suppressed;

    RateLimitedLog(Logger log, Duration interval, LongSupplier nanoTime) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
    }

    /** At most one line a second. */
    static RateLimitedLog perSecond(Logger log) {
        return new RateLimitedLog(log, Duration.ofSeconds(1), System::nanoTime);
    }

    /**
     * Logs a warning unless one was logged less than an interval ago.
     *
     * @param format an SLF4J format; " ({} similar suppressed)" is appended when lines were skipped
     */
    void warn(String format, Object... args) {
        long skipped;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            if (any && now - last < intervalNanos) {
                suppressed++;
                return;
            }
            any = true;
            last = now;
            skipped = suppressed;
            suppressed = 0;
        }
        for (int i = 0; i < args.length; i++) {
            // client addresses as 127.0.0.1:40000, not Java's /127.0.0.1:40000 (only for lines logged)
            if (args[i] instanceof InetSocketAddress a) {
                args[i] = HostPort.of(a);
            }
        }
        if (skipped == 0) {
            log.warn(format, args);
        } else {
            Object[] withCount = java.util.Arrays.copyOf(args, args.length + 1);
            withCount[args.length] = skipped;
            log.warn(format + " ({} similar suppressed)", withCount);
        }
    }

    /** Lines skipped since the last one logged. */
    synchronized long suppressed() {
        return suppressed;
    }
}
