package dev.portico.upstream;

/** Health of a backend as seen by active and passive checks. */
public enum HealthState {
    /** Not checked yet; treated as up so a fresh pool serves traffic at once. */
    UNKNOWN,
    /** The last checks passed. */
    UP,
    /** Failed active checks or a connect attempt from the data path. */
    DOWN;

    /**
     * Tells whether a backend in this state may receive new connections.
     *
     * @return {@code true} for {@link #UP} and {@link #UNKNOWN}
     */
    public boolean usable() {
        return this != DOWN;
    }
}
