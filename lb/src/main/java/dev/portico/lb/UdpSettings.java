package dev.portico.lb;

import java.time.Duration;
import java.util.Objects;

/**
 * How a UDP service keeps its sessions.
 *
 * @param sessionTimeout a session with no datagram either way for this long is closed
 * @param maxSessions    sessions open at once over the whole service; datagrams that would open one
 *                       more are dropped and counted
 */
public record UdpSettings(Duration sessionTimeout, int maxSessions) {

    /** The default cap on sessions. */
    public static final int DEFAULT_MAX_SESSIONS = 100_000;
    /** 60 s idle expiry, {@value #DEFAULT_MAX_SESSIONS} sessions. */
    public static final UdpSettings DEFAULTS = new UdpSettings(Duration.ofSeconds(60), DEFAULT_MAX_SESSIONS);

    /** Validates the components. */
    public UdpSettings {
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        if (sessionTimeout.isNegative() || sessionTimeout.isZero()) {
            throw new IllegalArgumentException("UDP session timeout must be more than zero, not " + sessionTimeout);
        }
        if (maxSessions < 1) {
            throw new IllegalArgumentException("UDP max sessions must be at least 1, not " + maxSessions);
        }
    }
}
