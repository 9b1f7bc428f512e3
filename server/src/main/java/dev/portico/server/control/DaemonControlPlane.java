package dev.portico.server.control;

import dev.portico.acme.CertificateManager;
import dev.portico.acme.NameStatus;
import dev.portico.admin.api.ControlException;
import dev.portico.admin.api.ControlPlane;
import dev.portico.admin.api.Views;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.net.HostPort;
import dev.portico.dns.DnsService;
import dev.portico.dns.DynamicRecordSpec;
import dev.portico.dns.DynamicRecordStatus;
import dev.portico.filestore.FilestoreService;
import dev.portico.filestore.FilestoreStatus;
import dev.portico.filestore.StoreCheck;
import dev.portico.lb.BackendGroup;
import dev.portico.lb.LbConfig;
import dev.portico.lb.LbService;
import dev.portico.proxy.ProxyService;
import dev.portico.proxy.cache.Ban;
import dev.portico.proxy.cache.CacheStats;
import dev.portico.proxy.cache.HttpCache;
import dev.portico.server.Supervisor;
import dev.portico.upstream.AdminState;
import dev.portico.upstream.Backend;
import dev.portico.upstream.BackendStats;
import dev.portico.upstream.Pool;
import dev.portico.upstream.scheduler.Schedulers;
import dev.portico.web.WebServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.regex.PatternSyntaxException;

/**
 * The admin API's view of a running process: lists every service the {@link Supervisor} runs,
 * applies host, group, scheduler and listener changes to the lb services among them, and shows
 * and forces the dynamic records of the dns services. Other service types are listed with their
 * endpoints and have no hosts.
 */
public final class DaemonControlPlane implements ControlPlane {

    /** The service name the admin endpoint's own certificates are listed under. */
    public static final String ADMIN = "admin";

    private final Supplier<Supervisor> supervisor;
    private final Supplier<Views.Saved> saver;
    private final HostRates rates = new HostRates(System::nanoTime);
    private final CounterRates counterRates = new CounterRates(System::nanoTime);
    private final ServiceHistory history;
    private final Supplier<CertificateManager> adminCertificates;

    /**
     * A control plane whose services have no stats and no history.
     *
     * @param supervisor gives the supervisor of the running services
     * @param saver      writes the running config back to its file
     */
    public DaemonControlPlane(Supplier<Supervisor> supervisor, Supplier<Views.Saved> saver) {
        this(supervisor, saver, null);
    }

    /**
     * @param supervisor gives the supervisor of the running services
     * @param saver      writes the running config back to its file
     * @param history    the services' sampled history, which their stats and history come from;
     *                   null for none
     */
    public DaemonControlPlane(Supplier<Supervisor> supervisor, Supplier<Views.Saved> saver, ServiceHistory history) {
        this(supervisor, saver, history, () -> null);
    }

    /**
     * @param supervisor        gives the supervisor of the running services
     * @param saver             writes the running config back to its file
     * @param history           the services' sampled history, or null for none
     * @param adminCertificates gives the admin endpoint's ACME manager ({@code admin.tls.acme}), or
     *                          null when it has none; its names are listed under the service
     *                          {@value #ADMIN}
     */
    public DaemonControlPlane(Supplier<Supervisor> supervisor, Supplier<Views.Saved> saver, ServiceHistory history,
                              Supplier<CertificateManager> adminCertificates) {
        this.supervisor = Objects.requireNonNull(supervisor, "supervisor");
        this.saver = Objects.requireNonNull(saver, "saver");
        this.history = history;
        this.adminCertificates = Objects.requireNonNull(adminCertificates, "adminCertificates");
    }

    @Override
    public List<Views.Service> services() {
        return supervisor.get().running().stream().map(r -> view(r.service())).toList();
    }

    @Override
    public Views.Service service(String service) {
        return view(find(service));
    }

    @Override
    public Views.Filestore filestore(String service) {
        Service s = find(service);
        if (!(s instanceof FilestoreService fs)) {
            throw ControlException.badRequest("service '" + service + "' is a " + s.type()
                    + " service, not a file store");
        }
        FilestoreStatus st = fs.status();
        List<Views.FsNode> nodes = new ArrayList<>();
        for (FilestoreStatus.Node n : st.nodes()) {
            Backend b = n.backend();
            BackendStats.Snapshot bs = b.stats().snapshot();
            nodes.add(new Views.FsNode(n.name(), lower(b.health()), b.healthReason(),
                    n.latencyNanos() == 0 ? null : Math.round(n.latencyNanos() / 10_000.0) / 100.0, bs.open(),
                    bs.total(), bs.failed(), bs.bytesIn(), bs.bytesOut(),
                    bs.lastFailure().map(f -> new Views.Failure(f.time().toString(), f.reason())).orElse(null)));
        }
        return new Views.Filestore(service, st.reads(), st.writes(), round(counterRates.rate(fs, "reads", st.reads())),
                round(counterRates.rate(fs, "writes", st.writes())), st.writesDegraded(), st.writesFailed(),
                st.missingCopies(), nodes, new Views.FsHandoff(fs.handoffJournalLength(), fs.handoffPending(),
                        fs.handoffJournalProblem().orElse(null)),
                fs.lastCheck().map(DaemonControlPlane::checkView).orElse(null), repairView(fs));
    }

    private static Views.FsCheck checkView(StoreCheck.Result r) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        r.counts().forEach((kind, n) -> {
            if (n != null && n > 0) {
                counts.put(kind.name().toLowerCase(Locale.ROOT), n);
            }
        });
        return new Views.FsCheck(Instant.ofEpochMilli(r.finished()).toString(), r.nodes(), r.files(), r.copies(),
                counts, r.clean());
    }

    /** The repair's progress; a running one whose record is still the last finished plan is checking the nodes. */
    private static Views.FsRepair repairView(FilestoreService fs) {
        boolean running = fs.repairRunning();
        return fs.repairProgress().filter(p -> !(running && p.finished())).map(p -> new Views.FsRepair(Instant.ofEpochMilli(p.started()).toString(),
                Instant.ofEpochMilli(p.updated()).toString(), p.done(), p.total(), p.repaired(), p.skipped(), p.failed(),
                p.finished(), running)).orElse(running ? new Views.FsRepair(null, null, 0, 0, 0, 0, 0, false, true) : null);
    }

    @Override
    public Views.FsRepair repair(String service) {
        Service s = find(service);
        if (!(s instanceof FilestoreService fs)) {
            throw ControlException.badRequest("service '" + service + "' is a " + s.type()
                    + " service, not a file store");
        }
        if (!fs.startRepair()) {
            throw ControlException.conflict("a repair of '" + service + "' is running already");
        }
        return repairView(fs);
    }

    @Override
    public Views.Tunnel tunnel(String service) {
        dev.portico.tunnel.TunnelService t = tunnelService(service);
        List<Views.TunnelSession> sessions = new ArrayList<>();
        for (dev.portico.tunnel.TunnelSessionStatus s : t.status()) {
            sessions.add(new Views.TunnelSession(s.name(), s.state(), s.side(), s.peerAddress(), s.device(), s.relayTo(),
                    s.transport(), s.rttMs(), s.cwndBytes(), s.lostPackets(), s.bytesIn(), s.bytesOut(),
                    round(counterRates.rate(t, s.name() + " in", s.bytesIn())),
                    round(counterRates.rate(t, s.name() + " out", s.bytesOut())), s.connects(), s.routeMetrics(),
                    s.bestRoutes()));
        }
        return new Views.Tunnel(service, sessions);
    }

    @Override
    public Views.Reconnected reconnect(String service, String session) {
        dev.portico.tunnel.TunnelService t = tunnelService(service);
        boolean dropped;
        try {
            dropped = t.reconnect(session);
        } catch (IllegalArgumentException e) {
            throw ControlException.notFound(e.getMessage());
        }
        if (!dropped) {
            throw ControlException.conflict("session '" + session + "' of tunnel '" + service + "' is not up");
        }
        return new Views.Reconnected(service, session);
    }

    private dev.portico.tunnel.TunnelService tunnelService(String service) {
        Service s = find(service);
        if (!(s instanceof dev.portico.tunnel.TunnelService t)) {
            throw ControlException.badRequest("service '" + service + "' is a " + s.type() + " service, not a tunnel");
        }
        return t;
    }

    private static double round(double rate) {
        return Math.round(rate * 100) / 100.0;
    }

    @Override
    public Views.History history(String service) {
        Service s = find(service);
        if (history == null) {
            throw ControlException.notFound("no history is kept for service " + service);
        }
        return history.history(s);
    }

    @Override
    public Views.Host addHost(String service, String group, String address, int weight) {
        LbService lb = lb(service);
        group(lb, group);
        LbConfig.BackendSpec spec;
        try {
            spec = new LbConfig.BackendSpec(HostPort.parse(address), weight);
        } catch (IllegalArgumentException e) {
            throw ControlException.badRequest(e.getMessage());
        }
        if (lb.groups().get(group).pool().find(spec.name()).isPresent()) {
            throw ControlException.conflict("group " + group + " of " + service + " already has host " + spec.name());
        }
        return host(lb.addBackend(group, spec));
    }

    @Override
    public void removeHost(String service, String group, String host) {
        LbService lb = lb(service);
        backend(lb, group, host);
        lb.removeBackend(group, host);
    }

    @Override
    public Views.Host hostState(String service, String group, String host, HostAction action) {
        Backend b = host(service, group, host);
        b.adminState(switch (action) {
            case ENABLE -> AdminState.ENABLED;
            case DISABLE -> AdminState.DISABLED;
            case DRAIN -> AdminState.DRAINING;
        });
        return host(b);
    }

    @Override
    public Views.Host weight(String service, String group, String host, int weight) {
        Backend b = host(service, group, host);
        if (weight < Backend.MIN_WEIGHT || weight > Backend.MAX_WEIGHT) {
            throw ControlException.badRequest("weight " + weight + " is out of range (" + Backend.MIN_WEIGHT + " to "
                    + Backend.MAX_WEIGHT + ")");
        }
        b.weight(weight);
        return host(b);
    }

    @Override
    public Views.Service scheduler(String service, String scheduler) {
        LbService lb = lb(service);
        try {
            Schedulers.byName(scheduler);
        } catch (IllegalArgumentException e) {
            throw ControlException.badRequest(e.getMessage());
        }
        synchronized (lb) {
            try {
                lb.reconfigure(lb.runningConfig().toBuilder().scheduler(scheduler).build());
            } catch (IOException e) {
                throw new ControlException(ControlException.Kind.FAILED, e.getMessage(), e);
            }
        }
        return view(lb);
    }

    @Override
    public Views.Service switchGroup(String service, String group) {
        LbService lb = lb(service);
        group(lb, group);
        lb.switchGroup(group);
        return view(lb);
    }

    @Override
    public String openListener(String service, String address) {
        Service s = find(service);
        HostPort hp = address(address);
        try {
            Relisten r = relisten(s);
            if (r != null) {
                synchronized (r.lock()) {
                    List<HostPort> listen = new ArrayList<>(r.listen().get());
                    if (!listen.contains(hp)) {
                        listen.add(hp);
                        r.apply().accept(listen);
                    }
                    return authority(r.bound().get().get(hp));
                }
            }
            return authority(listenable(s).openListener(hp));
        } catch (IOException e) {
            throw ControlException.conflict("cannot listen on " + hp + ": " + e.getMessage());
        }
    }

    @Override
    public void closeListener(String service, String address) {
        Service s = find(service);
        HostPort hp = address(address);
        Relisten r = relisten(s);
        if (r != null) {
            synchronized (r.lock()) {
                HostPort key = configuredListener(r.bound().get(), hp, service);
                List<HostPort> listen = new ArrayList<>(r.listen().get());
                listen.remove(key);
                try {
                    r.apply().accept(listen);
                } catch (IllegalArgumentException e) {
                    throw ControlException.conflict(e.getMessage()); // a dns service keeps its last listener
                } catch (IOException e) {
                    throw new ControlException(ControlException.Kind.FAILED, e.getMessage(), e);
                }
            }
            return;
        }
        LbService lb = listenable(s);
        List<HostPort> configured = lb.runningConfig().listen();
        List<InetSocketAddress> bound = lb.listenAddresses();
        Map<HostPort, InetSocketAddress> byConfigured = new LinkedHashMap<>();
        for (int i = 0; i < configured.size(); i++) {
            byConfigured.put(configured.get(i), i < bound.size() ? bound.get(i) : null);
        }
        lb.closeListener(configuredListener(byConfigured, hp, service));
    }

    /** Applies a new listen list; may fail on a bind. */
    private interface ListenChange {
        void accept(List<HostPort> listen) throws IOException;
    }

    /**
     * A service whose listeners are its config's {@code listen} list, changed by a reconfigure:
     * web and dns services.
     */
    private record Relisten(Object lock, Supplier<List<HostPort>> listen, ListenChange apply,
                            Supplier<Map<HostPort, InetSocketAddress>> bound) {
    }

    private static Relisten relisten(Service s) {
        if (s instanceof WebServer web) {
            return new Relisten(web, () -> web.config().listen(), l -> web.reconfigure(web.config().withListen(l)),
                    web::listenAddresses);
        }
        if (s instanceof DnsService dns) {
            return new Relisten(dns, () -> dns.config().listen(), l -> dns.reconfigure(dns.config().withListen(l)),
                    dns::listenAddresses);
        }
        return null;
    }

    /** The configured address that {@code hp} names, as configured or as bound; 404 when none. */
    private static HostPort configuredListener(Map<HostPort, InetSocketAddress> listeners, HostPort hp, String service) {
        HostPort key = null;
        for (Map.Entry<HostPort, InetSocketAddress> e : listeners.entrySet()) {
            InetSocketAddress b = e.getValue();
            if (e.getKey().equals(hp) || b != null && new HostPort(b.getAddress().getHostAddress(), b.getPort()).equals(hp)) {
                key = e.getKey();
            }
        }
        if (key == null) {
            throw ControlException.notFound(service + " does not listen on " + hp);
        }
        return key;
    }

    private static LbService listenable(Service s) {
        if (s instanceof LbService lb) {
            return lb;
        }
        throw ControlException.badRequest("service '" + s.name() + "' is a " + s.type()
                + " service; only lb, web and dns services open and close listeners");
    }

    private static String authority(InetSocketAddress a) {
        return new HostPort(a.getAddress().getHostAddress(), a.getPort()).toString();
    }

    @Override
    public Views.Saved save() {
        return saver.get();
    }

    @Override
    public List<Views.DnsRecord> records(String service) {
        return dns(service).dynamicRecords().stream().map(DaemonControlPlane::record).toList();
    }

    @Override
    public Views.RecordAddress forceAddress(String service, String record, String address, ForceAction action) {
        DnsService dns = dns(service);
        String name = record.toLowerCase(Locale.ROOT).replaceAll("\\.$", "");
        DynamicRecordStatus current = dns.dynamicRecords().stream().filter(r -> r.spec().name().equals(name))
                .findFirst().orElseThrow(() -> ControlException.notFound("service '" + service
                        + "' has no dynamic record '" + name + "'"));
        InetAddress ip = current.addresses().stream().map(a -> a.spec().address())
                .filter(a -> sameAddress(a, address)).findFirst()
                .orElseThrow(() -> ControlException.notFound("dynamic record '" + name + "' has no address '" + address
                        + "' (addresses: " + String.join(", ", current.addresses().stream()
                        .map(a -> a.spec().address().getHostAddress()).toList()) + ")"));
        AdminState state = switch (action) {
            case FORCE_UP -> AdminState.FORCED_UP;
            case FORCE_DOWN -> AdminState.DISABLED;
            case RELEASE -> AdminState.ENABLED;
        };
        DynamicRecordStatus after = dns.force(name, ip, state);
        return record(after).addresses().stream().filter(a -> a.address().equals(ip.getHostAddress())).findFirst()
                .orElseThrow();
    }

    private DnsService dns(String name) {
        Service s = find(name);
        if (s instanceof DnsService dns) {
            return dns;
        }
        throw ControlException.badRequest("service '" + name + "' is a " + s.type()
                + " service; only dns services have dynamic records");
    }

    /** Whether {@code text} names {@code ip}: the same literal, or an IP literal that parses to it. */
    private static boolean sameAddress(InetAddress ip, String text) {
        String t = text.strip();
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
        }
        if (t.equals(ip.getHostAddress())) {
            return true;
        }
        if (t.isEmpty() || !(t.indexOf(':') >= 0 || t.chars().allMatch(c -> c == '.' || Character.isDigit(c)))) {
            return false;
        }
        try {
            return InetAddress.ofLiteral(t).equals(ip);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Views.DnsRecord record(DynamicRecordStatus r) {
        DynamicRecordSpec spec = r.spec();
        List<Views.RecordAddress> addresses = r.addresses().stream().map(a -> {
            Backend b = a.backend();
            String forced = switch (b.adminState()) {
                case ENABLED -> null;
                case FORCED_UP -> "up";
                case DISABLED, DRAINING -> "down";
            };
            return new Views.RecordAddress(a.spec().address().getHostAddress(), b.address().toString(),
                    a.spec().weight(), lower(b.health()), b.healthReason(),
                    b.healthChangedAt() == null ? null : b.healthChangedAt().toString(), forced, b.eligible());
        }).toList();
        return new Views.DnsRecord(spec.name(), r.level(), r.fallbackOf(), spec.ttlMax(), spec.ttlMin(), spec.answers(),
                spec.lastResort().stream().map(InetAddress::getHostAddress).toList(), spec.health().toString(),
                addresses);
    }

    @Override
    public Views.Cache cache(String service) {
        HttpCache c = httpCache(service);
        CacheStats st = c.stats();
        return new Views.Cache(service, new Views.CacheTier(st.memoryEntries(), st.memoryBytes(), st.memoryLimit()),
                c.hasDisk() ? new Views.CacheTier(st.diskEntries(), st.diskBytes(), st.diskLimit()) : null,
                st.hits(), st.misses(), st.stale(), st.revalidated(), st.bypass(), st.bans());
    }

    @Override
    public Views.Purged purge(String service, String key, String prefix) {
        HttpCache c = httpCache(service);
        try {
            int n = key != null ? c.purge(key) : c.purgePrefix(prefix);
            return new Views.Purged(service, key, prefix, n);
        } catch (IOException e) {
            throw new ControlException(ControlException.Kind.FAILED, "purge failed on the disk tier: " + e.getMessage(), e);
        }
    }

    @Override
    public Views.Banned ban(String service, String prefix, String regex) {
        HttpCache c = httpCache(service);
        Ban b;
        try {
            b = prefix != null ? c.banPrefix(prefix) : c.banRegex(regex);
        } catch (PatternSyntaxException e) {
            throw ControlException.badRequest("bad regex: " + e.getDescription());
        }
        return new Views.Banned(service, b.describe(), Instant.ofEpochMilli(b.createdAt()).toString());
    }

    @Override
    public List<Views.ManagedName> certificates() {
        List<Views.ManagedName> out = new ArrayList<>();
        for (var r : supervisor.get().running()) {
            CertificateManager m = certificateManager(r.service());
            if (m != null) {
                m.status().forEach(st -> out.add(managedName(r.service().name(), st)));
            }
        }
        CertificateManager admin = adminCertificates.get();
        if (admin != null) {
            admin.status().forEach(st -> out.add(managedName(ADMIN, st)));
        }
        return out;
    }

    @Override
    public List<Views.ManagedName> renewCertificate(String name) {
        List<Views.ManagedName> out = new ArrayList<>();
        for (var r : supervisor.get().running()) {
            CertificateManager m = certificateManager(r.service());
            if (m != null && m.status(name).isPresent()) {
                // the attempt runs on the manager's thread; its outcome shows in the status
                m.renew(name);
                out.add(managedName(r.service().name(), m.status(name).orElseThrow()));
            }
        }
        CertificateManager admin = adminCertificates.get();
        if (admin != null && admin.status(name).isPresent()) {
            admin.renew(name);
            out.add(managedName(ADMIN, admin.status(name).orElseThrow()));
        }
        if (out.isEmpty()) {
            throw ControlException.notFound("no service manages a certificate for " + name);
        }
        return out;
    }

    private static CertificateManager certificateManager(Service s) {
        if (s instanceof WebServer web) {
            return web.certificateManager();
        }
        return s instanceof dev.portico.proxy.ProxyService proxy ? proxy.certificateManager() : null;
    }

    private static Views.ManagedName managedName(String service, NameStatus st) {
        return new Views.ManagedName(service, st.name(), st.notAfter().map(Instant::toString).orElse(null),
                st.serial().map(n -> n.toString(16)).orElse(null), st.lastRenewal().map(Instant::toString).orElse(null),
                st.lastError().orElse(null), st.lastErrorAt().map(Instant::toString).orElse(null),
                st.nextAttempt().map(Instant::toString).orElse(null), st.failures(), st.renewing());
    }

    private HttpCache httpCache(String name) {
        Service s = find(name);
        if (s instanceof ProxyService p && p.cache() != null) {
            return p.cache();
        }
        throw ControlException.notFound("service '" + name + "' has no cache (only proxy services with a 'cache:' section)");
    }

    private Service find(String name) {
        return supervisor.get().running().stream()
                .filter(r -> r.spec().name().equals(name))
                .map(Supervisor.Running::service)
                .findFirst()
                .orElseThrow(() -> ControlException.notFound("no service named '" + name + "'"));
    }

    private LbService lb(String name) {
        Service s = find(name);
        if (s instanceof LbService lb) {
            return lb;
        }
        throw ControlException.badRequest("service '" + name + "' is a " + s.type()
                + " service; only an lb service's groups, scheduler and list of hosts can be changed");
    }

    /**
     * A host whose admin state and weight can be changed: one of an lb service's groups, or of a
     * proxy's pools (a pool is named by its Host key; {@code *} is the default).
     */
    private Backend host(String service, String group, String host) {
        Service s = find(service);
        if (s instanceof ProxyService proxy) {
            Pool pool = proxy.pools().get(group);
            if (pool == null) {
                throw ControlException.notFound("service '" + service + "' has no pool '" + group + "' (pools: "
                        + String.join(", ", proxy.pools().keySet()) + ")");
            }
            return pool.find(host).orElseThrow(() -> ControlException.notFound(
                    "pool '" + group + "' of '" + service + "' has no host '" + host + "'"));
        }
        if (!(s instanceof LbService lb)) {
            throw ControlException.badRequest("service '" + service + "' is a " + s.type() + " service and has no hosts");
        }
        return backend(lb, group, host);
    }

    private static BackendGroup group(LbService lb, String group) {
        BackendGroup g = lb.groups().get(group);
        if (g == null) {
            throw ControlException.notFound("service '" + lb.name() + "' has no group '" + group + "' (groups: "
                    + String.join(", ", lb.groups().keySet()) + ")");
        }
        return g;
    }

    private static Backend backend(LbService lb, String group, String host) {
        return group(lb, group).pool().find(host).orElseThrow(() -> ControlException.notFound(
                "group '" + group + "' of '" + lb.name() + "' has no host '" + host + "'"));
    }

    private static HostPort address(String text) {
        try {
            return HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            throw ControlException.badRequest(e.getMessage());
        }
    }

    private Views.Service view(Service s) {
        if (s instanceof LbService lb) {
            String active = lb.activeGroup().name();
            List<Views.Group> groups = new ArrayList<>();
            lb.groups().forEach((name, g) -> groups.add(new Views.Group(name, name.equals(active),
                    g.pool().members().stream().map(this::host).toList())));
            List<String> listeners = lb.listenAddresses().stream()
                    .map(a -> new HostPort(a.getAddress().getHostAddress(), a.getPort()).toString()).toList();
            return new Views.Service(lb.name(), lb.type(), listeners, lb.endpoints(), lb.activeGroup().scheduler().name(),
                    active, (long) lb.openConnections(), groups, stats(lb));
        }
        List<String> endpoints = s.endpoints();
        // A proxy's pools are picked by Host, so every one is in use ("active"). Their hosts can be
        // enabled, disabled, drained and weighted; the pools themselves come from the config.
        List<Views.Group> groups = new ArrayList<>();
        if (s instanceof ProxyService proxy) {
            proxy.pools().forEach((host, pool) -> groups.add(new Views.Group(host, true,
                    pool.members().stream().map(this::host).toList())));
        }
        List<String> listeners;
        if (s instanceof WebServer web) {
            listeners = web.listenAddresses().values().stream().map(DaemonControlPlane::authority).toList();
        } else if (s instanceof DnsService dns) {
            listeners = dns.localAddresses().stream().map(DaemonControlPlane::authority).toList();
        } else {
            listeners = endpoints.stream().map(DaemonControlPlane::authority).toList();
        }
        return new Views.Service(s.name(), s.type(), listeners, endpoints, null, null, null, groups, stats(s));
    }

    private Views.Stats stats(Service s) {
        return history == null ? null : history.stats(s);
    }

    private Views.Host host(Backend b) {
        BackendStats.Snapshot st = b.stats().snapshot();
        return new Views.Host(b.name(), b.address().toString(), b.weight(), lower(b.adminState()), lower(b.health()),
                st.open(), st.total(), st.failed(), st.retries(), st.bytesIn(), st.bytesOut(), Math.round(rates.rate(b) * 100) / 100.0,
                st.lastClose().map(Object::toString).orElse(null),
                st.lastFailure().map(f -> new Views.Failure(f.time().toString(), f.reason())).orElse(null),
                b.healthReason());
    }

    /** {@code host:port} of an endpoint URL such as {@code http://127.0.0.1:8080/}, or the text itself. */
    private static String authority(String endpoint) {
        try {
            String a = URI.create(endpoint.split(" ")[0]).getRawAuthority();
            return a != null ? a : endpoint;
        } catch (IllegalArgumentException e) {
            return endpoint;
        }
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
