package dev.portico.dns;

import dev.portico.core.limits.ConnectionCap;
import dev.portico.core.lifecycle.Reconfigurable;
import dev.portico.core.lifecycle.Refreshable;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.net.HostPort;
import dev.portico.upstream.AdminState;
import dev.portico.upstream.Backend;
import dev.portico.upstream.Pool;
import dev.portico.upstream.TaskTimer;
import dev.portico.upstream.health.ProbeTransport;
import dev.portico.upstream.health.Probes;
import io.netty.channel.ReflectiveChannelFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An authoritative DNS server ({@code type: dns}). All answering state is one immutable
 * {@link DnsData} generation behind a volatile reference: {@link #reload()} re-reads the zone files
 * and {@link #reconfigure(DnsConfig)} applies a whole new config, each by building the next
 * generation aside and publishing it in one write. A failed reload leaves the old data serving.
 *
 * <p>UDP and TCP are served on each listen address by every worker event loop of the
 * {@link ServiceContext}; the dynamic records' health checks run on the same loops. UDP answers
 * pass the service's response rate limit ({@link Rrl}, on by default, kept across reloads while
 * its settings stay the same) before they are sent.
 */
public final class DnsService implements Service, Reconfigurable<DnsConfig>, Refreshable {

    private static final Logger log = LoggerFactory.getLogger(DnsService.class);

    private final String name;
    /** How log lines name the service: {@code dns NAME}, or just {@code dns} when that is its name. */
    private final String label;
    private final ServiceContext context;
    private final ProbeTransport probes;
    private final QueryProcessor processor;
    private final DnsStats stats;
    private final RrlMeters rrlMeters;
    private final Object lifecycle = new Object();
    private final Map<HostPort, DnsListener> listeners = new LinkedHashMap<>();
    private volatile DnsConfig config;
    /** TCP connections open on every listener of the service. */
    private final AtomicInteger tcpOpen = new AtomicInteger();
    private volatile DnsData data;
    /** The rate limit UDP answers pass; null when off. */
    private volatile Rrl rrl;
    private boolean started;
    private boolean stopped;

    /**
     * A service that is not started yet.
     *
     * @param name    the service's name
     * @param config  its config
     * @param context the process's transport, loops and executors
     */
    public DnsService(String name, DnsConfig config, ServiceContext context) {
        this.name = Objects.requireNonNull(name, "name");
        this.label = name.equals("dns") ? name : "dns " + name;
        this.config = Objects.requireNonNull(config, "config");
        this.context = Objects.requireNonNull(context, "context");
        this.probes = new ProbeTransport(context.workers(),
                new ReflectiveChannelFactory<>(context.transport().socketChannel()), context.blocking());
        this.stats = new DnsStats(name, context.meters());
        this.processor = new QueryProcessor(() -> data, stats);
        this.rrlMeters = new RrlMeters(name, context.meters());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return "dns";
    }

    /**
     * Loads the zones, starts the health checks and opens the listeners.
     *
     * @throws IOException when a zone file cannot be read or parsed, or an address cannot be bound
     */
    @Override
    public void start() throws IOException {
        synchronized (lifecycle) {
            if (started) {
                throw new IllegalStateException("dns service " + name + " already started");
            }
            ZoneSet zones = ZoneSet.load(config);
            DynamicRecords dynamic = createDynamic(config);
            loadOverrides(config, dynamic);
            data = new DnsData(config, zones, dynamic, new AnswerCache(config.cacheEntries()), createLrrr(config, null));
            rrl = createRrl(config.rrl(), null);
            dynamic.start();
            started = true;
            try {
                for (HostPort address : config.listen()) {
                    listeners.put(address, bind(address));
                }
            } catch (IOException | RuntimeException e) {
                stop(Duration.ZERO);
                throw e;
            }
            log.info("{}: serving zones {} with {} dynamic records on {} ({})", label, zones.origins(),
                    config.dynamic().size(), endpoints(), context.transport().describe());
        }
    }

    /**
     * Re-reads every zone file and swaps the new data in atomically; dynamic records and their
     * health state are kept.
     *
     * @throws IOException naming the file and line of a zone error; the old zones keep serving
     */
    public void reload() throws IOException {
        refresh();
    }

    /** SIGHUP with an unchanged config: the zone files are read again (same as {@link #reload()}). */
    @Override
    public void refresh() throws IOException {
        synchronized (lifecycle) {
            DnsData old = requireRunning();
            ZoneSet zones = ZoneSet.load(old.config());
            try {
                old.dynamic().reopenGeo();
            } catch (IOException e) {
                log.error("{}: {}; keeping the GeoIP database in use", label, e.getMessage());
            }
            loadOverrides(old.config(), old.dynamic());
            data = new DnsData(old.config(), zones, old.dynamic(), new AnswerCache(old.config().cacheEntries()), old.lrrr());
            log.info("{}: reloaded zones {}", label, zones.origins());
        }
    }

    /**
     * Applies a new config: zones are re-read, dynamic records are rebuilt when they changed (and
     * kept with their health state otherwise), listeners are opened and closed to match.
     *
     * @throws IOException when a zone or a new address fails; the old config keeps running
     */
    @Override
    public void reconfigure(DnsConfig next) throws IOException {
        Objects.requireNonNull(next, "next");
        synchronized (lifecycle) {
            DnsData old = requireRunning();
            ZoneSet zones = ZoneSet.load(next);
            boolean sameDynamic = next.dynamic().equals(old.config().dynamic())
                    && next.resources().equals(old.config().resources())
                    && Objects.equals(next.geoipDb(), old.config().geoipDb());
            DynamicRecords dynamic = sameDynamic ? old.dynamic() : createDynamic(next);
            Map<HostPort, DnsListener> added = new LinkedHashMap<>();
            try {
                for (HostPort address : next.listen()) {
                    if (!listeners.containsKey(address)) {
                        added.put(address, bind(address));
                    }
                }
            } catch (IOException | RuntimeException e) {
                added.values().forEach(DnsListener::close);
                if (!sameDynamic) {
                    dynamic.close();
                }
                throw e;
            }
            loadOverrides(next, dynamic);
            if (!sameDynamic) {
                dynamic.start();
            }
            config = next;
            data = new DnsData(next, zones, dynamic, new AnswerCache(next.cacheEntries()), createLrrr(next, old.lrrr()));
            rrl = createRrl(next.rrl(), rrl);
            if (!sameDynamic) {
                old.dynamic().close();
            }
            listeners.putAll(added);
            List<HostPort> gone = new ArrayList<>(listeners.keySet());
            gone.removeAll(next.listen());
            for (HostPort address : gone) {
                listeners.remove(address).close();
            }
            log.info("{}: reconfigured; zones {}, {} dynamic records, listening on {}", label, zones.origins(),
                    next.dynamic().size(), endpoints());
        }
    }

    @Override
    public void stop(Duration grace) {
        synchronized (lifecycle) {
            if (stopped) {
                return;
            }
            stopped = true;
            listeners.values().forEach(DnsListener::close);
            listeners.clear();
            DnsData d = data;
            if (d != null) {
                d.dynamic().close();
            }
        }
    }

    @Override
    public List<String> endpoints() {
        synchronized (lifecycle) {
            return listeners.values().stream().map(l -> "dns udp+tcp " + HostPort.bound(l.requested(),
                    l.localAddress())).toList();
        }
    }

    /**
     * Each listen address as configured, with the address it is bound to.
     *
     * @return configured address to bound address (the real port when port 0 was asked for)
     */
    public Map<HostPort, InetSocketAddress> listenAddresses() {
        synchronized (lifecycle) {
            Map<HostPort, InetSocketAddress> out = new LinkedHashMap<>();
            listeners.forEach((hp, l) -> out.put(hp, l.localAddress()));
            return out;
        }
    }

    /**
     * The addresses bound, with the real ports when port 0 was asked for.
     *
     * @return one address per listen entry (UDP and TCP share it)
     */
    public List<InetSocketAddress> localAddresses() {
        synchronized (lifecycle) {
            return listeners.values().stream().map(DnsListener::localAddress).toList();
        }
    }

    /**
     * The pool of each dynamic record, by name: its members are the record's addresses with their
     * health, and an operator may force one out with {@code Backend.adminState}.
     *
     * @return record name (lower case, no trailing dot) to pool
     */
    public Map<String, Pool> dynamicPools() {
        DnsData d = requireRunning();
        Map<String, Pool> out = new LinkedHashMap<>();
        d.dynamic().records().forEach((n, level) -> out.put(level.spec().name(), level.pool()));
        return out;
    }

    /**
     * Every dynamic record with its addresses' health and admin state: records of the config in
     * config order, then any others by name.
     *
     * @return one status per record
     * @throws IllegalStateException when the service is not running
     */
    public List<DynamicRecordStatus> dynamicRecords() {
        DnsData d = requireRunning();
        Map<Name, DynamicName> byName = d.dynamic().records();
        List<String> order = d.config().dynamic().stream().map(DynamicRecordSpec::name).toList();
        List<DynamicName> levels = new ArrayList<>(byName.values());
        levels.sort(Comparator.comparingInt((DynamicName l) -> {
            int i = order.indexOf(l.spec().name());
            return i < 0 ? Integer.MAX_VALUE : i;
        }).thenComparing(l -> l.spec().name()));
        List<DynamicRecordStatus> out = new ArrayList<>(levels.size());
        for (DynamicName l : levels) {
            out.add(status(byName, l));
        }
        return out;
    }

    /**
     * An operator's override of one address of a dynamic record, effective for the next query:
     * {@link AdminState#DISABLED} forces it out of answers, {@link AdminState#FORCED_UP} answers it
     * even while its checks fail, {@link AdminState#ENABLED} hands it back to its checks. Every
     * address of the record with that IP is changed. With an {@code admin_state_file} the
     * override is written there and outlasts restarts; without one it lasts until changed again
     * or until the service's dynamic records are rebuilt (a restart, or a changed {@code dynamic:}).
     *
     * @param record  the record's name, in any case, with or without the trailing dot
     * @param address the address answered (IPv4 or IPv6 literal)
     * @param state   the admin state to give it
     * @return the record's status after the change
     * @throws IllegalArgumentException when there is no such record or the record has no such address
     */
    public DynamicRecordStatus force(String record, InetAddress address, AdminState state) {
        Objects.requireNonNull(state, "state");
        synchronized (lifecycle) {
            DnsData d = requireRunning();
            Map<Name, DynamicName> byName = d.dynamic().records();
            DynamicName level = level(byName, record);
            for (DynamicRecordStatus.Address a : addresses(level, address)) {
                a.backend().adminState(state);
            }
            log.info("{}: {} of {} is {}", label, address.getHostAddress(), level.spec().name(), switch (state) {
                case ENABLED -> "left to its health checks again";
                case FORCED_UP -> "forced up";
                case DISABLED, DRAINING -> "forced down";
            });
            saveOverrides(d);
            return status(byName, level);
        }
    }

    private DynamicName level(Map<Name, DynamicName> byName, String record) {
        DynamicName level;
        try {
            level = byName.get(DnsNames.absolute(record));
        } catch (IllegalArgumentException e) {
            level = null;
        }
        if (level == null) {
            throw new IllegalArgumentException("service " + name + " has no dynamic record '" + record + "'");
        }
        return level;
    }

    private static List<DynamicRecordStatus.Address> addresses(DynamicName level, InetAddress address) {
        List<DynamicRecordStatus.Address> matching = level.addresses().stream()
                .filter(a -> a.spec().address().equals(address)).toList();
        if (matching.isEmpty()) {
            throw new IllegalArgumentException("dynamic record " + level.spec().name() + " has no address "
                    + address.getHostAddress());
        }
        return matching;
    }

    /**
     * Gives every address of {@code dynamic} the override {@code c}'s admin state file lists for
     * it, and hands every address it does not list back to its checks. Bad lines are logged with
     * their place and skipped.
     */
    private void loadOverrides(DnsConfig c, DynamicRecords dynamic) {
        Path file = c.adminStateFile();
        if (file == null) {
            return;
        }
        List<AdminStateFile.Entry> entries;
        try {
            entries = AdminStateFile.read(file, problem -> log.warn("{}: {}; line skipped", label, problem));
        } catch (IOException e) {
            log.error("{}: cannot read {}: {}; overrides left as they are", label, file, e.getMessage());
            return;
        }
        Map<Name, DynamicName> byName = dynamic.records();
        Map<Backend, AdminState> wanted = new IdentityHashMap<>();
        for (AdminStateFile.Entry e : entries) {
            try {
                for (DynamicRecordStatus.Address a : addresses(level(byName, e.record()), e.address())) {
                    wanted.put(a.backend(), e.state());
                }
            } catch (IllegalArgumentException x) {
                log.warn("{}: {}:{}: {}; line skipped", label, file, e.line(), x.getMessage());
            }
        }
        for (DynamicName level : byName.values()) {
            for (DynamicRecordStatus.Address a : level.addresses()) {
                AdminState state = wanted.getOrDefault(a.backend(), AdminState.ENABLED);
                if (a.backend().adminState() != state) {
                    a.backend().adminState(state);
                }
            }
        }
        if (!entries.isEmpty()) {
            log.info("{}: {} override(s) from {}", label, wanted.size(), file);
        }
    }

    /** Writes the overrides in force to the admin state file, when there is one. */
    private void saveOverrides(DnsData d) {
        Path file = d.config().adminStateFile();
        if (file == null) {
            return;
        }
        List<AdminStateFile.Entry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<DynamicName> levels = new ArrayList<>(d.dynamic().records().values());
        levels.sort(Comparator.comparing(l -> l.spec().name()));
        for (DynamicName level : levels) {
            for (DynamicRecordStatus.Address a : level.addresses()) {
                AdminState state = a.backend().adminState();
                if (state != AdminState.ENABLED && seen.add(level.spec().name() + " " + a.spec().address())) {
                    entries.add(new AdminStateFile.Entry(level.spec().name(), a.spec().address(),
                            state == AdminState.FORCED_UP ? AdminState.FORCED_UP : AdminState.DISABLED, 0));
                }
            }
        }
        try {
            AdminStateFile.write(file, entries);
        } catch (IOException e) {
            log.error("{}: the override is in force but could not be kept in {}: {}", label, file, e.getMessage());
        }
    }

    private static DynamicRecordStatus status(Map<Name, DynamicName> byName, DynamicName l) {
        String head = l.spec().name();
        int depth = 0;
        while (head.startsWith("_") && byName.containsKey(DnsNames.absolute(head.substring(1)))) {
            head = head.substring(1);
            depth++;
        }
        return new DynamicRecordStatus(l.spec(), depth, depth == 0 ? null : head, l.addresses());
    }

    /**
     * The config in force.
     *
     * @return the config
     */
    public DnsConfig config() {
        return config;
    }

    /** What the service has answered since it started: queries, rcodes and answer-cache hits. */
    public DnsStats stats() {
        return stats;
    }

    private DnsListener bind(HostPort address) throws IOException {
        return DnsListener.bind(context.transport(), context.workers(), address, processor, () -> rrl,
                () -> config.tcpIdleTimeout(), tcpOpen, this::tcpMaxConnections);
    }

    /** TCP connections open now, over every listen address. */
    public int openTcpConnections() {
        return tcpOpen.get();
    }

    /** The TCP connection cap in force: the configured one, or the one derived from the descriptor limit. */
    private int tcpMaxConnections() {
        return context.descriptors().maxConnections(config.tcpMaxConnections(), 1);
    }

    @Override
    public List<ConnectionCap> connectionCaps() {
        return List.of(new ConnectionCap(name, "tcp connections", tcpMaxConnections(), 1));
    }

    private DynamicRecords createDynamic(DnsConfig c) throws IOException {
        GeoIpDb geo = c.geoipDb() != null ? GeoIpDb.open(c.geoipDb()) : null;
        VariantContext variants = new VariantContext(geo, TaskTimer.of(context.workers().next()), context.blocking(),
                VariantContext.DEFAULT_POLL);
        List<DynamicRecordSpec> all = new ArrayList<>(c.dynamic());
        all.addAll(c.resources());
        return DynamicRecords.create(all, spec -> Probes.forConfig(spec.health(), probes),
                () -> TaskTimer.of(context.workers().next()), variants);
    }

    /** The LRRR state for {@code c}: the old one (with its measured resolvers) when the settings did not change. */
    private Lrrr createLrrr(DnsConfig c, Lrrr old) {
        if (c.lrrr() == null) {
            return null;
        }
        return old != null && old.config().equals(c.lrrr()) ? old : new Lrrr(c.lrrr(), context.clock());
    }

    /**
     * The rate limit for {@code c}: the old one (with its buckets) when the settings did not
     * change, none when rate limiting is off.
     */
    private Rrl createRrl(RrlConfig c, Rrl old) {
        if (!c.enabled()) {
            return null;
        }
        return old != null && old.config().equals(c) ? old
                : new Rrl(c, context.clock(), rrlMeters, new java.security.SecureRandom().nextLong());
    }

    private DnsData requireRunning() {
        DnsData d = data;
        if (d == null || stopped) {
            throw new IllegalStateException("dns service " + name + " is not running");
        }
        return d;
    }

}
