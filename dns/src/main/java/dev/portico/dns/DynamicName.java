package dev.portico.dns;

import dev.portico.core.net.HostPort;
import dev.portico.upstream.Backend;
import dev.portico.upstream.Pool;
import dev.portico.upstream.TaskTimer;
import dev.portico.upstream.health.HealthChecker;
import dev.portico.upstream.health.Probe;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * One level of a failover chain: a dynamic record's addresses, each a {@link Backend} in a pool of
 * its own whose health checker hides the addresses that are down.
 */
final class DynamicName implements AutoCloseable {

    private record Rotation(List<Backend> snapshot, WeightedRotation rotation) {
    }

    private final DynamicRecordSpec spec;
    private final Pool pool;
    private final Map<Backend, AddressSpec> addressOf = new IdentityHashMap<>();
    private final StreakProbe probe;
    private final HealthChecker checker;
    private final AtomicLong queries = new AtomicLong();
    private volatile Rotation rotation;

    /**
     * @param spec   the record
     * @param probes makes the probe for the record's health check
     * @param timer  where the checker's state lives (one event loop)
     */
    DynamicName(DynamicRecordSpec spec, Function<DynamicRecordSpec, Probe> probes, TaskTimer timer) {
        this.spec = spec;
        this.pool = Pool.create("dns " + spec.name());
        int defaultPort = spec.health().port() != 0 ? spec.health().port() : 80;
        for (AddressSpec a : spec.addresses()) {
            int port = a.checkPort() != 0 ? a.checkPort() : defaultPort;
            Backend b = Backend.builder(new HostPort(a.address().getHostAddress(), port)).weight(a.weight()).build();
            addressOf.put(b, a);
            pool.add(b);
        }
        this.probe = new StreakProbe(probes.apply(spec), spec.health().timeout(), pool);
        this.checker = HealthChecker.create(pool, spec.health(), probe, timer);
    }

    DynamicRecordSpec spec() {
        return spec;
    }

    /** The pool of this level's addresses, for status pages and operator overrides. */
    Pool pool() {
        return pool;
    }

    void start() {
        checker.start();
    }

    /** Each address with the backend that carries its health and admin state, in configured order. */
    List<DynamicRecordStatus.Address> addresses() {
        List<DynamicRecordStatus.Address> out = new ArrayList<>();
        for (Backend b : pool.members()) {
            out.add(new DynamicRecordStatus.Address(addressOf.get(b), b));
        }
        return out;
    }

    /** The healthy addresses for one query, in rotated order; empty when all are down. */
    List<InetAddress> pick() {
        return current().pick(queries.getAndIncrement(), spec.answers());
    }

    /** Whether any address of this level may change health soon. */
    boolean nearChange() {
        for (Backend b : pool.members()) {
            if (probe.nearChange(b)) {
                return true;
            }
        }
        return false;
    }

    private WeightedRotation current() {
        List<Backend> eligible = pool.eligible();
        Rotation r = rotation;
        if (r == null || r.snapshot() != eligible) {
            List<InetAddress> addresses = new ArrayList<>(eligible.size());
            int[] weights = new int[eligible.size()];
            for (int i = 0; i < eligible.size(); i++) {
                AddressSpec a = addressOf.get(eligible.get(i));
                addresses.add(a.address());
                weights[i] = a.weight();
            }
            r = new Rotation(eligible, new WeightedRotation(addresses, weights));
            rotation = r;
        }
        return r.rotation();
    }

    @Override
    public void close() {
        checker.close();
    }
}
