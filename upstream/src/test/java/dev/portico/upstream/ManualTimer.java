package dev.portico.upstream;

import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;

/**
 * A {@link TaskTimer} whose clock only moves when a test calls {@link #advance(Duration)}. Tasks
 * run on the calling thread, in due-time order, FIFO among equal times.
 */
public final class ManualTimer implements TaskTimer {

    private static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

    private record Task(long due, long seq, Runnable body, boolean[] cancelled) {
    }

    private final PriorityQueue<Task> queue = new PriorityQueue<>((a, b) ->
            a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
    private long now = 1_000_000_000L;
    private long seq;

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public Instant now() {
        return EPOCH.plusNanos(now);
    }

    @Override
    public void execute(Runnable task) {
        schedule(task, Duration.ZERO);
    }

    @Override
    public Cancellable schedule(Runnable task, Duration delay) {
        boolean[] cancelled = {false};
        queue.add(new Task(now + delay.toNanos(), seq++, task, cancelled));
        return () -> cancelled[0] = true;
    }

    /** Moves the clock forward, running every task that falls due on the way. */
    public void advance(Duration by) {
        long target = now + by.toNanos();
        while (true) {
            Task next = queue.peek();
            if (next == null || next.due > target) {
                break;
            }
            queue.poll();
            now = Math.max(now, next.due);
            if (!next.cancelled[0]) {
                next.body.run();
            }
        }
        now = target;
    }

    /** Runs the tasks that are due now, without moving the clock. */
    public void runDue() {
        advance(Duration.ZERO);
    }

    /** Number of live (not cancelled) tasks still queued. */
    public long pending() {
        return queue.stream().filter(t -> !t.cancelled[0]).count();
    }
}
