package dev.portico.lb;

import java.util.Locale;

/**
 * What an SNI-routed service does with a connection that brings no valid TLS ClientHello within
 * {@code timeouts.client_hello}: bytes that are not TLS, a malformed or oversized hello, a close
 * before the hello is complete, or silence. A valid hello whose name matches no route always goes
 * to the default group.
 */
public enum SniFallback {
    /** Relay it to the default group, with the bytes received so far. */
    DEFAULT,
    /** Close it. */
    CLOSE;

    /**
     * Parses {@code default} or {@code close}.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static SniFallback parse(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "default" -> DEFAULT;
            case "close" -> CLOSE;
            default -> throw new IllegalArgumentException("'" + text + "' is not an SNI fallback (default, close)");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
