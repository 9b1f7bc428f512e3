package dev.portico.upstream;

import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Short words for why talking to a backend failed, for health reasons, logs and the admin API.
 */
public final class FailureText {

    private static final String NATIVE_CALL = "(..) failed";

    private FailureText() {
    }

    /**
     * The failure's message, or its class name when it has none; a {@link TimeoutException}
     * without a message (what {@link java.util.concurrent.CompletableFuture#orTimeout} gives) is
     * "timed out". A refused or unreachable connect
     * is given by the system's words alone ("Connection refused"): Netty's native transports put
     * the call in front ({@code finishConnect(..) failed: } or
     * {@code finishConnect(..) failed with error(-111): }) and {@code : /ip:port} after it, and the
     * caller's own text already names the address.
     *
     * @param cause what went wrong
     * @return the words
     */
    public static String of(Throwable cause) {
        String message = cause.getMessage();
        if (message == null || message.isBlank()) {
            return cause instanceof TimeoutException ? "timed out" : cause.getClass().getSimpleName();
        }
        if (!(cause instanceof ConnectException)) {
            return message;
        }
        String text = message;
        int call = text.indexOf(NATIVE_CALL);
        if (call >= 0) {
            int colon = text.indexOf(": ", call);
            if (colon >= 0) {
                text = text.substring(colon + 2);
            }
        }
        int annotation = text.indexOf(": /");
        return annotation > 0 ? text.substring(0, annotation) : text;
    }

    /**
     * What a step that ran out of time was doing: {@code timed out after 2s waiting for the
     * response head}.
     *
     * @param after the time allowed
     * @param doing what it waited for or was busy with ("connecting", "waiting for the response head")
     * @return the words
     */
    public static String timedOut(Duration after, String doing) {
        return "timed out after " + duration(after) + " " + doing;
    }

    /**
     * A duration as an operator writes it in the config: whole seconds as {@code 2s}, anything
     * else in milliseconds ({@code 300ms}, {@code 1500ms}).
     *
     * @param d the duration
     * @return the words
     */
    public static String duration(Duration d) {
        long millis = d.toMillis();
        return millis % 1000 == 0 && millis > 0 ? millis / 1000 + "s" : millis + "ms";
    }
}
