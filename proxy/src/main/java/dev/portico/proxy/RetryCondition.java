package dev.portico.proxy;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A failure of one upstream attempt after which a request may go to another backend
 * ({@code retry_on}). Only failures that happen before any byte of the response reached the
 * client count: once the client has seen a head, the response is the one it gets.
 */
public enum RetryCondition {
    /** The connection could not be opened (refused, unreachable, connect timeout, unresolvable name). */
    CONNECT_FAILURE("connect-failure"),
    /** The backend closed or reset the connection before the response head. */
    RESET("reset"),
    /** No response head within the first-byte timeout ({@code timeouts.first_byte}). */
    TIMEOUT("timeout"),
    /** The backend answered 502: its answer is dropped, except on the last attempt. */
    STATUS_502("502"),
    /** The backend answered 503. */
    STATUS_503("503"),
    /** The backend answered 504. */
    STATUS_504("504");

    /** {@code connect-failure} and {@code reset}: failures where the backend surely did not answer. */
    public static final Set<RetryCondition> DEFAULTS = Set.copyOf(EnumSet.of(CONNECT_FAILURE, RESET));

    private final String text;

    RetryCondition(String text) {
        this.text = text;
    }

    /** The name in the config file. */
    @Override
    public String toString() {
        return text;
    }

    /** The condition for a backend's status, or null when the status is not one a retry can follow. */
    static RetryCondition ofStatus(int status) {
        return switch (status) {
            case 502 -> STATUS_502;
            case 503 -> STATUS_503;
            case 504 -> STATUS_504;
            default -> null;
        };
    }

    /**
     * Parses a config name.
     *
     * @throws IllegalArgumentException naming the allowed values
     */
    public static RetryCondition parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        for (RetryCondition c : values()) {
            if (c.text.equals(t)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown retry condition '" + text + "' (expected one of: "
                + Arrays.stream(values()).map(RetryCondition::toString).collect(Collectors.joining(", ")) + ")");
    }
}
