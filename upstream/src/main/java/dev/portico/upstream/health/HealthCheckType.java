package dev.portico.upstream.health;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What an active health check does. */
public enum HealthCheckType {
    /** No probe: every check passes, so a backend marked down by the data path comes back after {@code rise} down-intervals (PythonDirector's blind re-add). */
    NONE,
    /** A TCP connect to the backend (or check port). */
    TCP,
    /**
     * An HTTP/1.1 GET whose status (and optionally body) must match; over TLS when the backend's
     * connections are TLS and the check goes to the backend's own port.
     */
    HTTP,
    /** The HTTP check, always over TLS: with the backend's TLS settings, or the defaults when it has none. */
    HTTPS,
    /** An ICMP echo when the process may send one, otherwise a TCP connect. */
    ICMP;

    /**
     * Parses a lower- or upper-case name.
     *
     * @param text {@code none}, {@code tcp}, {@code http}, {@code https} or {@code icmp}
     * @return the type
     * @throws IllegalArgumentException for anything else, listing the valid names
     */
    public static HealthCheckType parse(String text) {
        for (HealthCheckType t : values()) {
            if (t.name().equalsIgnoreCase(text.strip())) {
                return t;
            }
        }
        throw new IllegalArgumentException("health check type: \"" + text + "\" (expected one of: "
                + Arrays.stream(values()).map(HealthCheckType::toString).collect(Collectors.joining(", ")) + ")");
    }

    /**
     * Whether the check is an HTTP request ({@link #HTTP} or {@link #HTTPS}), which has a path.
     *
     * @return {@code true} for the HTTP checks
     */
    public boolean http() {
        return this == HTTP || this == HTTPS;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
