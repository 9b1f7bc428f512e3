package dev.portico.core.limits;

/**
 * A client connection that sits between requests (a keep-alive connection waiting for its next
 * one), offered to be closed when the process runs short of file descriptors.
 *
 * @param idleSince when it went idle, in {@link System#nanoTime()} terms
 * @param close     closes it if it is still idle since then; safe from any thread
 */
public record IdleConnection(long idleSince, Runnable close) {
}
