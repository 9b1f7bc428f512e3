package dev.portico.upstream.health;

import java.net.ConnectException;
import java.util.Objects;

/**
 * Outcome of one probe.
 *
 * @param healthy whether the check passed
 * @param detail  what was observed, for logs and health-change reasons
 */
public record ProbeResult(boolean healthy, String detail) {

    /** Validates the detail. */
    public ProbeResult {
        Objects.requireNonNull(detail, "detail");
    }

    /**
     * A passed check.
     *
     * @param detail what was observed
     * @return the result
     */
    public static ProbeResult passed(String detail) {
        return new ProbeResult(true, detail);
    }

    /**
     * A failed check.
     *
     * @param detail what went wrong
     * @return the result
     */
    public static ProbeResult failed(String detail) {
        return new ProbeResult(false, detail);
    }

    /**
     * A failed check from an exception, described by class and message (a refused or unreachable
     * connect by its message alone).
     *
     * @param cause what went wrong
     * @return the result
     */
    public static ProbeResult failed(Throwable cause) {
        String message = cause.getMessage();
        if (cause instanceof ConnectException && message != null && !message.isBlank()) {
            // "Connection refused" says it all. Netty's native transports put the call in front
            // ("finishConnect(..) failed: ") and ": /ip:port" after it, which the check's own text
            // already names.
            String text = message;
            int call = text.indexOf("(..) failed: ");
            if (call >= 0) {
                text = text.substring(call + "(..) failed: ".length());
            }
            int annotation = text.indexOf(": /");
            return failed(annotation > 0 ? text.substring(0, annotation) : text);
        }
        return failed(cause.getClass().getSimpleName() + (message == null ? "" : ": " + message));
    }
}
