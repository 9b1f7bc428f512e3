package dev.portico.upstream.health;

import dev.portico.upstream.FailureText;

import java.net.ConnectException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeoutException;

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
     * connect by its message alone, a timeout without a message as "timed out", a TLS failure by
     * its reason such as "TLS handshake failed: unknown CA"; see
     * {@link FailureText#of}).
     *
     * @param cause what went wrong
     * @return the result
     */
    public static ProbeResult failed(Throwable cause) {
        if (cause instanceof ConnectException || cause instanceof TimeoutException
                || cause instanceof javax.net.ssl.SSLException) {
            return failed(FailureText.of(cause));
        }
        String message = cause.getMessage();
        return failed(cause.getClass().getSimpleName() + (message == null ? "" : ": " + message));
    }

    /**
     * A check still unfinished at its {@linkplain HealthCheckConfig#deadline() deadline}: its
     * probe did not bound itself, so all that is known is how long the check was given.
     *
     * @param timeout the check's timeout
     * @return the failed result
     */
    public static ProbeResult unfinished(Duration timeout) {
        return failed("check " + FailureText.timedOut(timeout, "waiting for the probe"));
    }
}
