package dev.portico.filestore;

import dev.portico.core.net.HostPort;
import dev.portico.upstream.Backend;
import io.netty.util.NetUtil;

import java.net.InetSocketAddress;

/**
 * One storage node as the router sees it: its upstream {@link Backend} (health, admin state,
 * counters) and the latency of its recent answers, which orders replicas for reads.
 */
final class NodeState {

    private final String name;
    private final HostPort address;
    private final Backend backend;
    /** Where to connect: an IP literal as is; a name is resolved by the transport at each connect. */
    private final InetSocketAddress socketAddress;
    /** Smoothed time to a response head, in nanoseconds; 0 before the first answer. */
    private volatile long latencyNanos;

    NodeState(String name, Backend backend) {
        this.name = name;
        this.backend = backend;
        this.address = backend.address();
        this.socketAddress = NetUtil.isValidIpV4Address(address.host()) || NetUtil.isValidIpV6Address(address.host())
                ? new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(address.host()), address.port())
                : address.unresolved();
    }

    InetSocketAddress socketAddress() {
        return socketAddress;
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
