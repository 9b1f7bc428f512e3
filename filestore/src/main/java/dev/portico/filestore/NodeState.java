package dev.portico.filestore;

import dev.portico.core.net.HostPort;
import dev.portico.upstream.Backend;

/**
 * One storage node as the router sees it: its upstream {@link Backend} (health, admin state,
 * counters) and the latency of its recent answers, which orders replicas for reads.
 */
final class NodeState {

    private final String name;
    private final HostPort address;
    private final Backend backend;
    /** Smoothed time to a response head, in nanoseconds; 0 before the first answer. */
    private volatile long latencyNanos;

    NodeState(String name, Backend backend) {
        this.name = name;
        this.backend = backend;
        this.address = backend.address();
    }

    String name() {
        return name;
    }

    HostPort address() {
        return address;
    }

    Backend backend() {
        return backend;
    }

    boolean healthy() {
        return backend.eligible();
    }

    /** Smoothed latency in nanoseconds (0: not measured yet). */
    long latencyNanos() {
        return latencyNanos;
    }

    /** Folds one measured time to a response head into the average (weight 1/8, as TCP's SRTT). */
    void measured(long nanos) {
        long old = latencyNanos;
        latencyNanos = old == 0 ? Math.max(nanos, 1) : Math.max(old + (nanos - old) / 8, 1);
    }

    @Override
    public String toString() {
        return name;
    }
}
