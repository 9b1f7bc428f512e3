package dev.portico.upstream;

/** Operator-controlled state of a backend, independent of its health. */
public enum AdminState {
    /** Takes new connections when healthy. */
    ENABLED,
    /** Takes no new connections; existing ones are left alone. */
    DISABLED,
    /** Takes no new connections while existing ones finish (graceful removal). */
    DRAINING
}
