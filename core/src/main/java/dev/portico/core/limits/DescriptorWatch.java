package dev.portico.core.limits;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Keeps the process clear of its descriptor limit: each {@link #check()} (run now and then, off
 * the event loops) counts the open descriptors, and once they pass {@link #HIGH} of the limit it
 * closes the longest-idle keep-alive connections, those between requests, until the count would
 * be back at {@link #LOW}. Connections in the middle of a request are never touched. The check
 * costs nothing per request or connection; what it logs is said at most once a minute.
 */
public final class DescriptorWatch {

    private static final Logger log = LoggerFactory.getLogger(DescriptorWatch.class);

    /** The share of the limit above which idle connections are closed. */
    public static final double HIGH = 0.90;
    /** The share of the limit closing stops at. */
    public static final double LOW = 0.85;
    private static final long LOG_EVERY_NANOS = 60_000_000_000L;

    private final long limit;
    private final IntSupplier open;
    private final Consumer<Consumer<IdleConnection>> idle;
    private final LongSupplier nanos;
    private long lastLog;
    private boolean logged;
    private long closedSinceLog;

    /**
     * @param limit the descriptor limit
     * @param open  counts the open descriptors ({@link FileLimit#openDescriptors()}); negative when it cannot,
     *              {@link Integer#MAX_VALUE} when they ran out
     * @param idle  hands every idle client connection of every service to its argument
     * @param nanos the clock, {@link System#nanoTime()} outside tests
     */
    public DescriptorWatch(long limit, IntSupplier open, Consumer<Consumer<IdleConnection>> idle, LongSupplier nanos) {
        this.limit = limit;
        this.open = open;
        this.idle = idle;
        this.nanos = nanos;
    }

    /**
     * Counts the open descriptors and closes idle connections when they are too many.
     *
     * @return how many connections were asked to close
     */
    public synchronized int check() {
        int n = (int) Math.min(open.getAsInt(), limit);
        if (n < 0 || n < (long) (limit * HIGH)) {
            return 0;
        }
        int excess = (int) (n - (long) (limit * LOW));
        List<IdleConnection> candidates = new ArrayList<>();
        idle.accept(candidates::add);
        candidates.sort(Comparator.comparingLong(IdleConnection::idleSince));
        int closing = Math.min(excess, candidates.size());
        for (int i = 0; i < closing; i++) {
            candidates.get(i).close().run();
        }
        closedSinceLog += closing;
        long now = nanos.getAsLong();
        if (!logged || now - lastLog >= LOG_EVERY_NANOS) {
            log.warn("{} of {} file descriptors open: closed {} idle keep-alive connections{}", n, limit, closedSinceLog,
                    logged ? " in the last minute" : "");
            logged = true;
            lastLog = now;
            closedSinceLog = 0;
        }
        return closing;
    }
}
