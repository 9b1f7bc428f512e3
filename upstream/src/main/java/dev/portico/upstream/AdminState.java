package dev.portico.upstream;

/** Operator-controlled state of a backend, independent of its health. */
public enum AdminState {
    /** Takes new connections when healthy. */
    ENABLED,
    /** Takes no new connections; existing ones are left alone. */
    DISABLED,
    /** Takes no new connections while existing ones finish (graceful removal). */
    DRAINING,
    /**
     * Takes new connections whatever its health: an operator's override for a backend whose checks
     * fail but that is known to work (gdnsd's forced UP). Checks keep running, so the health shown
     * stays what they find; setting {@link #ENABLED} again hands the decision back to them.
     */
    FORCED_UP
}
