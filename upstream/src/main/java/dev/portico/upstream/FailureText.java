package dev.portico.upstream;

import java.net.ConnectException;

/**
 * Short words for why talking to a backend failed, for health reasons, logs and the admin API.
 */
public final class FailureText {

    private static final String NATIVE_CALL = "(..) failed";

    private FailureText() {
    }

    /**
     * The failure's message, or its class name when it has none. A refused or unreachable connect
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
            return cause.getClass().getSimpleName();
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
}
