package dev.portico.admin.api;

import java.util.Objects;

/** A control action that cannot be done, with the kind of reason, which picks the HTTP status. */
public final class ControlException extends RuntimeException {

    /** Why an action failed. */
    public enum Kind {
        /** The input is malformed or out of range: 400. */
        BAD_REQUEST(400),
        /** No such service, group, host or listener: 404. */
        NOT_FOUND(404),
        /** The action would leave the service unable to work, such as removing its last host: 409. */
        CONFLICT(409),
        /** The action failed for a reason outside the request, such as a file that cannot be written: 500. */
        FAILED(500);

        private final int status;

        Kind(int status) {
            this.status = status;
        }

        /** The HTTP status for this kind. */
        public int status() {
            return status;
        }
    }

    private final Kind kind;

    /** A failure of the given kind with a message fit for an operator. */
    public ControlException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /** A failure with its cause. */
    public ControlException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public static ControlException notFound(String message) {
        return new ControlException(Kind.NOT_FOUND, message);
    }

    public static ControlException badRequest(String message) {
        return new ControlException(Kind.BAD_REQUEST, message);
    }

    public static ControlException conflict(String message) {
        return new ControlException(Kind.CONFLICT, message);
    }

    /** Why it failed. */
    public Kind kind() {
        return kind;
    }
}
