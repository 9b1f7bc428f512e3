package dev.portico.web.routes;

import dev.portico.web.http.Status;

/**
 * Thrown by a handler to answer with an error status: 404 goes to the not-found handler, other
 * statuses get a short text body. Not logged as a failure.
 */
public final class HttpError extends RuntimeException {

    private final int status;

    public HttpError(int status, String message) {
        super(message, null, false, false);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("not an error status: " + status);
        }
        this.status = status;
    }

    public HttpError(int status) {
        this(status, status + " " + Status.reason(status));
    }

    public int status() {
        return status;
    }
}
