package dev.portico.dns;

import dev.portico.upstream.Pool;
import dev.portico.upstream.TaskTimer;
import dev.portico.upstream.health.HealthChecker;
import dev.portico.upstream.health.Probe;

import dev.portico.upstream.Backend;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One level of a failover chain: a dynamic record's addresses, each a {@link dev.portico.upstream.Backend}
 * in a pool of its own whose health checker hides the addresses that are down. The addresses of
 * the record's client-dependent variants are in the same pool, one backend per address however
 * many sets list it.
 */
final class DynamicName implements AutoCloseable {

    /**
     * What one level answers a client.
     *
     * @param addresses the healthy addresses in answer order; empty when every one is down
     * @param near      whether an address the answer depended on may change health soon
     */
    record Picked(List<InetAddress> addresses, boolean near) {
    }

    private final DynamicRecordSpec spec;
    private final Pool pool;
    private final StreakProbe probe;
    private final HealthChecker checker;
    private final AddressGroup defaults;
    private final VariantChooser variants;

    /**
     * @param spec   the record
     * @param probes makes the probe for the record's health check
     * @param timer  where the checker's state lives (one event loop)
     */
    DynamicName(DynamicRecordSpec spec, Function<DynamicRecordSpec, Probe> probes, TaskTimer timer) {
        this(spec, probes, timer, VariantContext.NONE);
    }

    /**
     * @param spec    the record
     * @param probes  makes the probe for the record's health check
     * @param timer   where the checker's state lives (one event loop)
     * @param context what the record's client-dependent variants need
     */
    DynamicName(DynamicRecordSpec spec, Function<DynamicRecordSpec, Probe> probes, TaskTimer timer,
                VariantContext context) {
        this.spec = spec;
        this.pool = Pool.create("dns " + spec.name());
        int defaultPort = spec.health().port() != 0 ? spec.health().port() : 80;
        BackendRegistry registry = new BackendRegistry(pool, defaultPort);
        this.defaults = registry.group(spec.addresses());
        this.variants = spec.variants().isEmpty() ? null
                : new VariantChooser(spec.name(), spec.variants(), registry, defaults, context);
        this.probe = new StreakProbe(probes.apply(spec), spec.health(), pool);
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
        if (variants != null) {
            variants.start();
        }
    }

    /**
     * Each checked address with the backend that carries its health and admin state: the default
     * addresses in configured order, then those only variants list.
     */
    List<DynamicRecordStatus.Address> addresses() {
        Map<Backend, AddressSpec> specs = new IdentityHashMap<>();
        for (AddressGroup.Member m : defaults.members()) {
            specs.putIfAbsent(m.backend(), m.spec());
        }
        List<DynamicRecordStatus.Address> out = new ArrayList<>();
        for (AddressGroup.Member m : defaults.members()) {
            if (out.stream().noneMatch(a -> a.backend() == m.backend())) {
                out.add(new DynamicRecordStatus.Address(m.spec(), m.backend()));
            }
        }
        for (Backend b : pool.members()) {
            if (!specs.containsKey(b)) {
                out.add(new DynamicRecordStatus.Address(new AddressSpec(IpLiteral.parse(b.address().host()),
                        Math.min(b.weight(), AddressSpec.MAX_WEIGHT), b.address().port()), b));
            }
        }
        return out;
    }

    /** The healthy default addresses for one query, in rotated order; empty when all are down. */
    List<InetAddress> pick() {
        return defaults.pick(spec.answers());
    }

    /**
     * The addresses for a client: its variant's healthy addresses, or the default ones when it has
     * no variant or every address of its variant is down.
     */
    Picked pick(ClientInfo client) {
        boolean near = false;
        AddressGroup chosen = variants != null ? variants.choose(client) : null;
        if (chosen != null) {
            near = chosen.nearChange(probe);
            List<InetAddress> picked = chosen.pick(spec.answers());
            if (!picked.isEmpty()) {
                return new Picked(picked, near);
            }
        }
        near |= defaults.nearChange(probe);
        return new Picked(defaults.pick(spec.answers()), near);
    }

    /** Whether any default address of this level may change health soon. */
    boolean nearChange() {
        return defaults.nearChange(probe);
    }

    @Override
    public void close() {
        if (variants != null) {
            variants.close();
        }
        checker.close();
    }
}
