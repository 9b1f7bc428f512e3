package dev.portico.upstream;

import io.netty.util.concurrent.EventExecutor;

import java.time.Duration;

/**
 * Runs tasks now or later on one serial executor, and tells the time. Health checking confines
 * its state to one {@code TaskTimer}, so implementations must run tasks one at a time. Production
 * code uses {@link #of(EventExecutor)}; tests use a manual implementation that advances time by
 * hand.
 */
public interface TaskTimer extends Ticker {

    /**
     * Runs the task soon, after the task currently running (never inline).
     *
     * @param task the task
     */
    void execute(Runnable task);

    /**
     * Runs the task once after the delay.
     *
     * @param task  the task
     * @param delay the delay, zero or positive
     * @return a handle that cancels the task
     */
    Cancellable schedule(Runnable task, Duration delay);

    /**
     * A timer backed by one Netty event executor (for example {@code group.next()}).
     *
     * @param executor the executor; all tasks run on its thread
     * @return a timer on that executor
     */
    static TaskTimer of(EventExecutor executor) {
        return new EventExecutorTaskTimer(executor);
    }
}
