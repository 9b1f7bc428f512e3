package dev.portico.dns;

import dev.portico.upstream.TaskTimer;
import dev.portico.upstream.health.Probe;
import org.xbill.DNS.Name;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Every dynamic record of a service and their failover chains. The chain of {@code name} is
 * {@code name}, {@code _name}, {@code __name}, … for as long as such dynamic records exist.
 */
final class DynamicRecords implements AutoCloseable {

    private final Map<Name, DynamicName> byName;
    private final Map<Name, List<DynamicName>> chains;
    private final GeoIpDb geo;

    private DynamicRecords(Map<Name, DynamicName> byName, GeoIpDb geo) {
        this.byName = Map.copyOf(byName);
        this.geo = geo;
        Map<Name, List<DynamicName>> c = new HashMap<>();
        for (Map.Entry<Name, DynamicName> e : byName.entrySet()) {
            List<DynamicName> chain = new ArrayList<>();
            String prefix = "";
            DynamicName level = e.getValue();
            while (level != null) {
                chain.add(level);
                prefix += "_";
                level = byName.get(DnsNames.absolute(prefix + e.getValue().spec().name()));
            }
            c.put(e.getKey(), List.copyOf(chain));
        }
        this.chains = Map.copyOf(c);
    }

    /** No dynamic records. */
    static DynamicRecords none() {
        return new DynamicRecords(Map.of(), null);
    }

    /**
     * Builds the records; their health checks start with {@link #start()}.
     *
     * @param specs  the records
     * @param probes makes the probe of a record's health check
     * @param timers hands out the timer (event loop) of each record's checker
     */
    static DynamicRecords create(List<DynamicRecordSpec> specs, Function<DynamicRecordSpec, Probe> probes,
                                 Supplier<TaskTimer> timers) {
        return create(specs, probes, timers, VariantContext.NONE);
    }

    /**
     * Builds the records with their client-dependent variants; their health checks and ranges-file
     * polls start with {@link #start()}. The records own {@code context}'s GeoIP database from now on.
     *
     * @param specs   the records
     * @param probes  makes the probe of a record's health check
     * @param timers  hands out the timer (event loop) of each record's checker
     * @param context the GeoIP database and the ranges-file poller
     */
    static DynamicRecords create(List<DynamicRecordSpec> specs, Function<DynamicRecordSpec, Probe> probes,
                                 Supplier<TaskTimer> timers, VariantContext context) {
        Map<Name, DynamicName> byName = new HashMap<>();
        for (DynamicRecordSpec spec : specs) {
            byName.put(DnsNames.absolute(spec.name()), new DynamicName(spec, probes, timers.get(), context));
        }
        return new DynamicRecords(byName, context.geo());
    }

    void start() {
        byName.values().forEach(DynamicName::start);
    }

    /** Whether {@code name} is a dynamic record. */
    boolean contains(Name name) {
        return byName.containsKey(name);
    }

    /** The levels of every record, for status pages. */
    Map<Name, DynamicName> records() {
        return byName;
    }

    /**
     * The answer for a dynamic name, following the failover chain.
     *
     * @return the answer, or null when {@code name} is not dynamic
     */
    DynamicAnswer resolve(Name name) {
        return resolve(name, ClientInfo.NONE);
    }

    /**
     * The answer for a dynamic name as chosen for a client.
     *
     * @return the answer, or null when {@code name} is not dynamic
     */
    DynamicAnswer resolve(Name name, ClientInfo client) {
        List<DynamicName> chain = chains.get(name);
        if (chain == null) {
            return null;
        }
        boolean near = false;
        for (DynamicName level : chain) {
            DynamicName.Picked picked = level.pick(client);
            near |= picked.near();
            if (!picked.addresses().isEmpty()) {
                DynamicRecordSpec s = level.spec();
                return new DynamicAnswer(picked.addresses(), near ? s.ttlMin() : s.ttlMax());
            }
        }
        DynamicRecordSpec head = chain.getFirst().spec();
        return new DynamicAnswer(head.lastResort(), near ? head.ttlMin() : head.ttlMax());
    }

    /**
     * Reads the GeoIP database again (SIGHUP); the one in use stays when that fails.
     *
     * @throws java.io.IOException naming the file
     */
    void reopenGeo() throws java.io.IOException {
        if (geo != null) {
            geo.reopen();
        }
    }

    @Override
    public void close() {
        byName.values().forEach(DynamicName::close);
        if (geo != null) {
            geo.close();
        }
    }
}
