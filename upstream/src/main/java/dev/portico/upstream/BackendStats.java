package dev.portico.upstream;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Live connection counters of one backend. Updated by the data path through
 * {@link Backend#onConnectStart()}, {@link Backend#onConnectFailed(String)},
 * {@link Backend#onTransferred(long, long)} and {@link Backend#onClosed(long, long)}; read by
 * schedulers and status pages. Lock-free.
 */
public final class BackendStats {

    /**
     * The most recent failure.
     *
     * @param time   when it happened
     * @param reason what happened
     */
    public record Failure(Instant time, String reason) {
    }

    /**
     * A consistent-enough copy of the counters, for status pages and metrics.
     *
     * @param open      connections currently open or being opened
     * @param total     connections ever started
     * @param failed    connect attempts and requests that failed
     * @param bytesIn   bytes received from the backend (over closed connections, and as it flows where the data path reports it)
     * @param bytesOut  bytes sent to the backend (over closed connections, and as it flows where the data path reports it)
     * @param lastClose when a connection last closed, if ever
     * @param lastFailure the most recent failure, if any
     * @param retries   requests that failed here and were sent again elsewhere
     */
    public record Snapshot(long open, long total, long failed, long bytesIn, long bytesOut,
                           Optional<Instant> lastClose, Optional<Failure> lastFailure, long retries) {
    }

    private final AtomicLong open = new AtomicLong();
    private final LongAdder total = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private volatile long lastCloseNanos;
    private volatile Instant lastClose;
    private volatile Failure lastFailure;

    BackendStats() {
    }

    void connectStarted() {
        open.incrementAndGet();
        total.increment();
    }

    void connectFailed(Instant when, String reason) {
        open.decrementAndGet();
        failed.increment();
        lastFailure = new Failure(when, reason);
    }

    void requestFailed(Instant when, String reason) {
        failed.increment();
        lastFailure = new Failure(when, reason);
    }

    void retried() {
        retries.increment();
    }

    void closed(long nanoTime, Instant when, long in, long out) {
        open.decrementAndGet();
        bytesIn.add(in);
        bytesOut.add(out);
        lastCloseNanos = nanoTime;
        lastClose = when;
    }

    void transferred(long in, long out) {
        if (in != 0) {
            bytesIn.add(in);
        }
        if (out != 0) {
            bytesOut.add(out);
        }
    }

    /**
     * Connections currently open or being opened.
     *
     * @return the open count
     */
    public long open() {
        return open.get();
    }

    /**
     * Connections ever started, including failed attempts.
     *
     * @return the total count
     */
    public long total() {
        return total.sum();
    }

    /**
     * Connect attempts and requests that failed.
     *
     * @return the failure count
     */
    public long failed() {
        return failed.sum();
    }

    /**
     * Requests that failed on this backend and were sent again, to another backend or on a fresh
     * connection.
     *
     * @return the retry count
     */
    public long retries() {
        return retries.sum();
    }

    /**
     * Bytes received from the backend: over closed connections, and over open ones as far as the
     * data path reports them while they flow ({@link Backend#onTransferred(long, long)}).
     *
     * @return the byte count
     */
    public long bytesIn() {
        return bytesIn.sum();
    }

    /**
     * Bytes sent to the backend: over closed connections, and over open ones as far as the data
     * path reports them while they flow.
     *
     * @return the byte count
     */
    public long bytesOut() {
        return bytesOut.sum();
    }

    /**
     * Monotonic time ({@link Ticker#nanoTime()}) of the last close, or 0 if none; schedulers use
     * it to prefer the backend that closed least recently.
     *
     * @return the last close time in ticker nanoseconds, or 0
     */
    public long lastCloseNanos() {
        return lastCloseNanos;
    }

    /**
     * Wall-clock time of the last close.
     *
     * @return the instant, or empty if no connection closed yet
     */
    public Optional<Instant> lastClose() {
        return Optional.ofNullable(lastClose);
    }

    /**
     * The most recent failure.
     *
     * @return the failure, or empty if none happened
     */
    public Optional<Failure> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /**
     * Copies the counters.
     *
     * @return a snapshot
     */
    public Snapshot snapshot() {
        return new Snapshot(open(), total(), failed(), bytesIn(), bytesOut(), lastClose(), lastFailure(), retries());
    }
}
