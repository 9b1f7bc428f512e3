package dev.portico.web;

/**
 * Implemented by request handlers that want to know when their server starts and stops. The
 * {@link WebServer} calls {@link #onStart} for each such handler after its listeners are open,
 * in handler order, and {@link #onStop} in reverse order once connections have been closed.
 */
public interface ServerLifecycle {

    /**
     * The server is listening. Throwing aborts the start: the server is stopped again and
     * {@link WebServer#start()} rethrows.
     */
    void onStart(WebServer server) throws Exception;

    /** The server has stopped serving. Failures are logged and do not stop other callbacks. */
    void onStop(WebServer server);
}
