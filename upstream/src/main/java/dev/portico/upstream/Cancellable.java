package dev.portico.upstream;

/** Handle of a task scheduled on a {@link TaskTimer}. */
@FunctionalInterface
public interface Cancellable {

    /** Cancels the task if it has not run yet; harmless when it already ran. */
    void cancel();
}
