package dev.portico.core.transport;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Runs an action after a period with no traffic on a connection. One task per connection on its
 * event loop, armed once and re-armed only when it fires early: traffic just records the time, so
 * a busy connection costs a timestamp per read or write and no timer work. Used instead of Netty's
 * {@code IdleStateHandler}, which sits in the pipeline on every event and adds a listener to every
 * write's promise. Fires once; {@link #start()} arms it again.
 */
public final class IdleTimer implements Runnable {

    private final Channel channel;
    private final long timeoutNanos;
    private final Runnable onIdle;
    private long last;
    private ScheduledFuture<?> task;

    /**
     * @param channel the connection, whose loop runs the timer
     * @param timeoutNanos how long without traffic is too long
     * @param onIdle  run on the loop when that happens
     */
    public IdleTimer(Channel channel, long timeoutNanos, Runnable onIdle) {
        this.channel = channel;
        this.timeoutNanos = timeoutNanos;
        this.onIdle = onIdle;
    }

    /** Starts counting from now. Call on the channel's loop. */
    public void start() {
        last = System.nanoTime();
        task = channel.eventLoop().schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    /** Records traffic. */
    public void touch() {
        last = System.nanoTime();
    }

    /** Stops the timer (the connection closed). */
    public void cancel() {
        ScheduledFuture<?> t = task;
        task = null;
        if (t != null) {
            t.cancel(false);
        }
    }

    @Override
    public void run() {
        if (task == null || !channel.isOpen()) {
            return;
        }
        long quiet = System.nanoTime() - last;
        if (quiet >= timeoutNanos) {
            task = null;
            onIdle.run();
        } else {
            task = channel.eventLoop().schedule(this, timeoutNanos - quiet, TimeUnit.NANOSECONDS);
        }
    }
}
