package dev.portico.lb;

import dev.portico.core.limits.ConnectionCap;
import dev.portico.core.lifecycle.Reconfigurable;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.net.HostPort;
import dev.portico.core.transport.LinuxNet;
import dev.portico.core.transport.ListenAddresses;
import dev.portico.core.tls.ServerTls;
import dev.portico.core.tls.TlsEngine;
import dev.portico.core.tls.TlsException;
import dev.portico.core.transport.TcpListener;
import dev.portico.core.transport.Transport;
import dev.portico.upstream.AdminState;
import dev.portico.upstream.Backend;
import dev.portico.upstream.Pool;
import dev.portico.upstream.health.ProbeTransport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A layer-4 load balancer: listeners, groups of hosts (one active), a scheduler, active and
 * passive health checks, and transparent failover. For TCP ({@link LbProtocol#TCP}) each accepted
 * connection is placed on a host of the active group and relayed both ways on the connection's
 * own event loop ({@link Relay}); connections from {@link LbConfig#acceptProxy() trusted proxies}
 * start with a PROXY header that names the real client. For UDP ({@link LbProtocol#UDP}) each
 * client address gets a session on one host, with an idle expiry ({@link UdpFrontend}).
 *
 * <p>Runtime control (what the admin API and the SSH console drive): {@link #switchGroup},
 * {@link #addBackend}, {@link #removeBackend}, {@link #enable}, {@link #disable}, {@link #drain},
 * {@link #openListener}, {@link #closeListener}, {@link #switchListener} and
 * {@link #reconfigure}. None of them touches connections already open. {@link #runningConfig()}
 * gives the config as it is now, for saving.
 *
 * <h2>Splice(2): when and how the relay uses it</h2>
 * The {@code splice} setting ({@link Splice}; {@code auto} by default) lets the relay move a
 * direction's bytes socket to pipe to socket inside the kernel, instead of reading them into
 * buffers and writing them out. The native engine ({@link NativeConnection}) does it with its own
 * pipe per direction; the Netty path ({@link Relay}, with Netty's {@code EpollSocketChannel.spliceTo})
 * is kept below but switched off, since that splice can lose the end of a stream (docs/decisions.md). Measured on {@code bench/lb.sh}'s bulk row (100 MiB downloads through one worker), a
 * spliced transfer costs about half the CPU per GB of a copied one (docs/decisions.md has the
 * figures), so long transfers are worth a pipe. How the earlier objections are met:
 * <ul>
 *   <li><b>Transports.</b> Netty's io_uring and NIO channels have no splice; there every mode
 *       copies, through the same relay. Splicing is decided per connection: both channels must be
 *       epoll channels.</li>
 *   <li><b>Byte counts.</b> {@code spliceTo(peer, Integer.MAX_VALUE)} never completes and
 *       reports nothing, but each splice(2) it makes is reported to the source channel's
 *       receive-buffer handle, like a read. Spliceable channels get a
 *       {@link CountingRecvAllocator} when they are made, so the per-host {@code bytes in/out}
 *       stay exact without a bounded splice and a promise per chunk.</li>
 *   <li><b>Descriptors.</b> A spliced direction costs a pipe, two descriptors. In {@code auto}
 *       a direction is spliced only after it has carried 256 KiB, as HAProxy splices only large
 *       transfers, so short request/response connections never make a pipe; {@code on} splices
 *       from the first byte; {@code off} never.</li>
 *   <li><b>Order, PROXY header and early bytes.</b> The header and any bytes read before the relay
 *       started are written first; a direction switches to splicing only between reads, after
 *       what was read is queued on the peer, and the splice's writes queue behind it.</li>
 *   <li><b>Half-close.</b> Netty 4.2.18 splices at most one read's worth once the peer's FIN has
 *       been seen and then shuts the input down, which would strand bytes still queued in the
 *       socket; the relay drains them with plain reads at that event and writes them behind the
 *       spliced bytes, then forwards the FIN once the peer's queue is flushed, as when copying.
 *       Idle timeouts see spliced traffic through the same allocator; drain is unaffected.</li>
 * </ul>
 */
public final class LbService implements Service, Reconfigurable<LbConfig> {

    private static final Logger log = LoggerFactory.getLogger(LbService.class);

    private final String name;
    private final ServiceContext context;
    private final LbMetrics metrics;
    private final Dialer dialer;
    private final ProbeTransport probes;
    private final ChannelGroup channels;
    private final Map<String, BackendGroup> groups = new LinkedHashMap<>();
    private final Map<HostPort, LbListener> listeners = new LinkedHashMap<>();
    private final LbShared shared;
    private final NativeEngine engine = new NativeEngine();
    private final ChannelHandler initializer;
    private volatile Route route;
    /** TLS offload's certificates ({@code tls}), or null when connections are relayed as they come. */
    private volatile ServerTls tls;
    private boolean started;
    private boolean stopped;

    /**
     * A service that is not started yet.
     *
     * @param name    the service name, used in logs and metric tags
     * @param config  the settings
     * @param context the process's transport, event loops and meters
     */
    public LbService(String name, LbConfig config, ServiceContext context) {
        this.name = Objects.requireNonNull(name, "name");
        this.context = Objects.requireNonNull(context, "context");
        this.metrics = new LbMetrics(name, context.meters());
        this.dialer = new Dialer(context.transport().socketChannel(), metrics, context.blocking());
        this.probes = new ProbeTransport(context.workers(),
                new ReflectiveChannelFactory<>(context.transport().socketChannel()), context.blocking());
        this.channels = new DefaultChannelGroup("lb-" + name, GlobalEventExecutor.INSTANCE);
        this.shared = new LbShared(name, () -> route, dialer, metrics, channels, RateLimitedLog.perSecond(log),
                context.transport().datagramChannel());
        this.initializer = new Admit();
        syncGroups(config);
        this.route = route(config, groups.get(config.activeGroup()));
    }

    @Override
    public String name() {
        return name;
    }

    /** A client connection and its backend connection. */
    private static final int DESCRIPTORS_PER_CONNECTION = 2;

    private Route route(LbConfig config, BackendGroup group) {
        int max = context.descriptors().maxConnections(config.maxConnections(), DESCRIPTORS_PER_CONNECTION);
        return new Route(config, group, max, config.routesBySni() ? new SniRouter(config, groups, max, metrics) : null);
    }

    @Override
    public List<ConnectionCap> connectionCaps() {
        return List.of(new ConnectionCap(name, "connections", route.maxConnections(), DESCRIPTORS_PER_CONNECTION));
    }

    @Override
    public String type() {
        return "lb";
    }

    /** The service's counters. */
    public LbMetrics metrics() {
        return metrics;
    }

    @Override
    public synchronized void start() throws IOException {
        if (started) {
            throw new IllegalStateException(name + " is already started");
        }
        started = true;
        groups.values().forEach(BackendGroup::start);
        try {
            if (route.config().tls() != null) {
                tls = openTls(route.config());
                log.info("{}: TLS offload ({}): connections are decrypted here and relayed plain to the backends",
                        name, tls.engine().describe());
            }
            for (HostPort hp : route.config().listen()) {
                listeners.put(hp, bind(hp));
            }
        } catch (IOException e) {
            stop(Duration.ZERO);
            throw e;
        }
        log.info("{}: balancing to group {} with {}", name, route.group().name(), route.group().scheduler().name());
        if (route.config().routesBySni()) {
            log.info("{}: routing TLS by server name: {} (no valid ClientHello within {}: {})", name,
                    route.config().sniRoutes(), route.config().clientHelloTimeout(), route.config().sniFallback());
        }
        LbConfig c = route.config();
        if (c.protocol() == LbProtocol.TCP && c.splice() != Splice.OFF && !nativeEngine(c)) {
            log.info("{}: splice: {} needs the native engine; on the Netty path every connection is copied", name,
                    c.splice());
        }
    }

    @Override
    public void stop(Duration grace) {
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopped = true;
            listeners.values().forEach(LbListener::close);
            listeners.clear();
            groups.values().forEach(BackendGroup::close);
            if (tls != null) {
                tls.close();
            }
        }
        if (!grace.isZero() && !grace.isNegative()) {
            long end = System.nanoTime() + grace.toNanos();
            channels.newCloseFuture().awaitUninterruptibly(grace.toMillis(), TimeUnit.MILLISECONDS);
            engine.awaitIdle(Math.max(0, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
        }
        engine.closeAll();
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        log.info("{}: stopped", name);
    }

    @Override
    public synchronized List<String> endpoints() {
        List<String> out = new ArrayList<>();
        for (LbListener l : listeners.values()) {
            out.add(l.scheme() + "://" + HostPort.bound(l.requested(), l.localAddress()) + " -> group "
                    + route.group().name());
        }
        return out;
    }

    /** The addresses actually bound, in config order (the real ports when 0 was asked for). */
    public synchronized List<InetSocketAddress> listenAddresses() {
        return listeners.values().stream().map(LbListener::localAddress).toList();
    }

    /** Whether the native engine serves each listener, in config order. */
    synchronized List<Boolean> nativePerListener() {
        return listeners.values().stream().map(LbListener::nativeEngine).toList();
    }

    /** The number of sockets behind each listener, in config order (one per event loop with SO_REUSEPORT). */
    synchronized List<Integer> socketsPerListener() {
        return listeners.values().stream().map(LbListener::sockets).toList();
    }

    /** The port of the first listener; handy with {@code listen 127.0.0.1:0}. */
    public int port() {
        List<InetSocketAddress> addresses = listenAddresses();
        if (addresses.isEmpty()) {
            throw new IllegalStateException(name + " is not listening");
        }
        return addresses.get(0).getPort();
    }

    /** The groups by name, in config order. */
    public synchronized Map<String, BackendGroup> groups() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(groups));
    }

    /** The group new connections go to. */
    public BackendGroup activeGroup() {
        return route.group();
    }

    /** Open client connections. */
    public int openConnections() {
        return metrics.openConnections();
    }

    /**
     * Sends new connections to another group. Connections already open stay where they are.
     *
     * @throws IllegalArgumentException when there is no such group
     */
    public synchronized void switchGroup(String groupName) {
        BackendGroup next = group(groupName);
        Route current = route;
        if (current.group() == next) {
            return;
        }
        LbConfig config = current.config().toBuilder().activeGroup(groupName).build();
        route = route(config, next);
        log.info("{}: active group {} -> {}", name, current.group().name(), groupName);
    }

    /**
     * Adds a host to a group; it takes connections at once (health unknown counts as up) and is
     * health-checked from now on.
     *
     * @return the new host
     * @throws IllegalArgumentException when the group does not exist or already has this host
     */
    public synchronized Backend addBackend(String groupName, LbConfig.BackendSpec spec) {
        BackendGroup group = group(groupName);
        Backend backend = newBackend(spec);
        group.pool().add(backend);
        return backend;
    }

    /**
     * Removes a host from a group. Its open connections are left to finish.
     *
     * @return false when the group has no such host
     * @throws IllegalStateException when it is the last host of the active group, or of a group
     *                               an SNI route names
     */
    public synchronized boolean removeBackend(String groupName, String backendName) {
        BackendGroup group = group(groupName);
        Pool pool = group.pool();
        var backend = pool.find(backendName);
        if (backend.isEmpty()) {
            return false;
        }
        if (group == route.group() && pool.members().size() == 1) {
            throw new IllegalStateException("cannot remove " + backendName + ": it is the last host of the active group "
                    + groupName);
        }
        if (pool.members().size() == 1 && route.config().sniRoutes().containsValue(groupName)) {
            throw new IllegalStateException("cannot remove " + backendName + ": it is the last host of group "
                    + groupName + ", which sni_routes sends connections to");
        }
        return pool.remove(backend.get());
    }

    /** Lets a host take new connections again. */
    public void enable(String groupName, String backendName) {
        backend(groupName, backendName).adminState(AdminState.ENABLED);
    }

    /** Stops sending new connections to a host; its open connections are left alone. */
    public void disable(String groupName, String backendName) {
        backend(groupName, backendName).adminState(AdminState.DISABLED);
    }

    /** Drains a host: no new connections, open ones finish or time out. */
    public void drain(String groupName, String backendName) {
        backend(groupName, backendName).adminState(AdminState.DRAINING);
    }

    /**
     * A host of a group, for reading its stats or changing its weight.
     *
     * @throws IllegalArgumentException when there is no such group or host
     */
    public Backend backend(String groupName, String backendName) {
        return group(groupName).pool().find(backendName).orElseThrow(() -> new IllegalArgumentException(
                "group " + groupName + " has no host " + backendName));
    }

    /**
     * Starts listening on one more address.
     *
     * @return the address actually bound
     * @throws IOException when the address cannot be bound; nothing changes then
     */
    public synchronized InetSocketAddress openListener(HostPort address) throws IOException {
        if (listeners.containsKey(address)) {
            return listeners.get(address).localAddress();
        }
        LbListener l = bind(address);
        listeners.put(address, l);
        return l.localAddress();
    }

    /**
     * Stops listening on an address. Connections accepted there stay open.
     *
     * @return false when the service was not listening there
     * @throws IllegalStateException when it is the last listener
     */
    public synchronized boolean closeListener(HostPort address) {
        if (!listeners.containsKey(address)) {
            return false;
        }
        if (listeners.size() == 1) {
            throw new IllegalStateException("cannot close " + address + ": it is the last listener of " + name);
        }
        listeners.remove(address).close();
        log.info("{}: closed listener {}", name, address);
        return true;
    }

    /**
     * Moves a listener: opens {@code to}, then closes {@code from} (txLoadBalancer's
     * {@code switchPort}). Open connections are kept.
     *
     * @return the address actually bound
     * @throws IOException when {@code to} cannot be bound; {@code from} keeps listening then
     */
    public synchronized InetSocketAddress switchListener(HostPort from, HostPort to) throws IOException {
        if (!listeners.containsKey(from)) {
            throw new IllegalArgumentException(name + " does not listen on " + from);
        }
        InetSocketAddress bound = openListener(to);
        if (!from.equals(to)) {
            listeners.remove(from).close();
            log.info("{}: moved listener {} -> {}", name, from, bound);
        }
        return bound;
    }

    /**
     * Applies a new config while running: new listeners open before removed ones close, groups and
     * hosts are added, removed and re-weighted to match, scheduler and health check are replaced
     * when they changed, and the active group is switched. Open connections are not touched.
     *
     * @throws IOException when a new listener cannot be bound; the old config keeps running then
     */
    @Override
    public synchronized void reconfigure(LbConfig next) throws IOException {
        Objects.requireNonNull(next, "next");
        if (next.protocol() != route.config().protocol()) {
            throw new IllegalArgumentException(name + ": the protocol cannot change from " + route.config().protocol()
                    + " to " + next.protocol() + " without a restart");
        }
        if ((next.tls() == null) != (route.config().tls() == null)) {
            throw new IllegalArgumentException(name + ": TLS offload cannot be turned " + (next.tls() == null ? "off" : "on")
                    + " without a restart (its listeners run on another engine)");
        }
        ServerTls nextTls = tls;
        if (next.tls() != null) {
            if (next.tls().equals(route.config().tls())) {
                try {
                    tls.reload(); // a reload re-reads the files even when the watcher missed a change
                } catch (TlsException e) {
                    log.warn("{}: keeping the certificates in use: {}", name, e.getMessage());
                }
            } else {
                nextTls = openTls(next);
            }
        }
        Map<HostPort, LbListener> opened = new LinkedHashMap<>();
        try {
            for (HostPort hp : next.listen()) {
                LbListener current = listeners.get(hp);
                if (current == null) {
                    opened.put(hp, bind(hp, hp, next));
                }
            }
        } catch (IOException e) {
            opened.values().forEach(LbListener::close);
            throw e;
        }
        listeners.putAll(opened);
        listeners.entrySet().removeIf(e -> {
            if (next.listen().contains(e.getKey())) {
                return false;
            }
            e.getValue().close();
            log.info("{}: closed listener {}", name, e.getKey());
            return true;
        });
        syncGroups(next);
        String previous = route.group().name();
        if (nextTls != tls) {
            ServerTls old = tls;
            tls = nextTls;
            old.close();
        }
        route = route(next, groups.get(next.activeGroup()));
        if (!previous.equals(next.activeGroup())) {
            log.info("{}: active group {} -> {}", name, previous, next.activeGroup());
        }
        log.info("{}: reconfigured ({} listeners, {} groups)", name, listeners.size(), groups.size());
    }

    /** The config as running now, including every runtime change; what {@code save} writes. */
    public synchronized LbConfig runningConfig() {
        Map<String, List<LbConfig.BackendSpec>> live = new LinkedHashMap<>();
        for (BackendGroup g : groups.values()) {
            List<LbConfig.BackendSpec> members = new ArrayList<>();
            for (Backend backend : g.pool().members()) {
                members.add(new LbConfig.BackendSpec(backend.address(), backend.weight(), savedState(backend)));
            }
            if (!members.isEmpty()) {
                live.put(g.name(), members);
            }
        }
        BackendGroup active = route.group();
        return route.config().toBuilder()
                .listenOnly(new ArrayList<>(listeners.keySet()))
                .groups(live)
                .activeGroup(active.name())
                .scheduler(active.scheduler().name())
                .health(active.health())
                .build();
    }

    private void syncGroups(LbConfig config) {
        for (Map.Entry<String, List<LbConfig.BackendSpec>> e : config.groups().entrySet()) {
            BackendGroup group = groups.get(e.getKey());
            if (group == null) {
                group = new BackendGroup(e.getKey(), config.scheduler(), config.health(), probes);
                groups.put(e.getKey(), group);
                if (started) {
                    group.start();
                }
            } else {
                group.scheduler(config.scheduler());
                group.health(config.health());
            }
            syncMembers(group.pool(), e.getValue());
        }
        groups.entrySet().removeIf(e -> {
            if (config.groups().containsKey(e.getKey())) {
                return false;
            }
            e.getValue().close();
            log.info("{}: removed group {}", name, e.getKey());
            return true;
        });
    }

    private void syncMembers(Pool pool, List<LbConfig.BackendSpec> specs) {
        List<String> wanted = new ArrayList<>();
        for (LbConfig.BackendSpec spec : specs) {
            wanted.add(spec.name());
            var existing = pool.find(spec.name());
            if (existing.isEmpty()) {
                pool.add(newBackend(spec));
            } else {
                Backend b = existing.get();
                if (b.weight() != spec.weight()) {
                    b.weight(spec.weight());
                }
                if (savedState(b) != spec.state()) {
                    b.adminState(spec.state());
                }
            }
        }
        for (Backend b : pool.members()) {
            if (!wanted.contains(b.name())) {
                pool.remove(b);
            }
        }
    }

    private static Backend newBackend(LbConfig.BackendSpec spec) {
        return Backend.builder(spec.address()).name(spec.name()).weight(spec.weight()).adminState(spec.state()).build();
    }

    /** A host's admin state as the config writes it (an lb host is never forced up). */
    private static AdminState savedState(Backend b) {
        AdminState a = b.adminState();
        return a == AdminState.FORCED_UP ? AdminState.ENABLED : a;
    }

    private BackendGroup group(String groupName) {
        BackendGroup group;
        synchronized (this) {
            group = groups.get(groupName);
        }
        if (group == null) {
            throw new IllegalArgumentException(name + " has no group " + groupName);
        }
        return group;
    }

    private LbListener bind(HostPort address) throws IOException {
        return bind(address, address, route.config());
    }

    /**
     * Whether TCP listeners of {@code config} are served by the native engine: on Linux with a
     * native transport (where the FFM calls link), unless {@code -Dportico.lb.engine=netty} asks
     * for Netty.
     */
    private boolean nativeEngine(LbConfig config) {
        return config.protocol() == LbProtocol.TCP
                && config.tls() == null
                && !"netty".equalsIgnoreCase(System.getProperty("portico.lb.engine", ""))
                && context.transport().kind() != Transport.Kind.NIO
                && LinuxNet.available();
    }

    /** The certificates of TLS offload, with their file watchers; closed by the caller. */
    private ServerTls openTls(LbConfig config) throws IOException {
        List<String> names = config.listen().stream().map(HostPort::host).toList();
        try {
            return ServerTls.open(config.tls(), new ServerTls.Environment(name, TlsEngine.detect(), context.stateDir(),
                    names, List.of(), context.clock(), context.workers(), context.blocking(), context.meters()));
        } catch (TlsException e) {
            throw new IOException(name + ": " + e.getMessage(), e);
        }
    }

    /** Binds {@code address} and keeps it as {@code requested}. */
    private LbListener bind(HostPort requested, HostPort address, LbConfig config) throws IOException {
        LbListener l;
        if (config.protocol() == LbProtocol.UDP || nativeEngine(config)) {
            // TcpListener checks its address itself; these bind their own sockets
            ListenAddresses.Claim claim = context.transport().listening().claim(config.protocol() == LbProtocol.UDP
                    ? ListenAddresses.Protocol.UDP : ListenAddresses.Protocol.TCP, address.toAddress(), address);
            try {
                if (config.protocol() == LbProtocol.UDP) {
                    l = UdpListener.bind(context.transport(), context.workers(), address, shared);
                } else {
                    int workers = 0;
                    for (var ignored : context.workers()) {
                        workers++;
                    }
                    l = NativeTcpListener.bind(requested, address, workers, config.backlog(), shared, engine);
                }
            } catch (IOException | RuntimeException e) {
                claim.close();
                throw e;
            }
            if (address.port() == 0) {
                claim.bound(l.localAddress());
            }
            l = LbListener.claimed(l, claim);
        } else {
            l = LbListener.tcp(TcpListener.bind(context.transport(), context.workers(), address,
                    config.backlog(), initializer));
        }
        log.info("{}: listening on {} {} ({} sockets{})", name, l.scheme(), HostPort.bound(requested, l.localAddress()), l.sockets(),
                l.nativeEngine() ? ", native engine" : "");
        return l;
    }

    /**
     * Sets up each accepted connection, then leaves its pipeline: one instance for the service,
     * unlike a {@code ChannelInitializer}, which tracks every channel in a concurrent set and
     * queues a task per connection to forget it.
     */
    @ChannelHandler.Sharable
    private final class Admit extends ChannelHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            Channel ch = ctx.channel();
            SocketChannelConfig config = (SocketChannelConfig) ch.config();
            config.setAllowHalfClosure(true);
            Route r = route;
            channels.add(ch);
            ServerTls t = tls;
            if (t != null) {
                // The handshake reads on its own; the frontend takes over, reading on demand, once
                // it is done, behind the TLS handler, which hands it plain bytes.
                t.install(ctx.pipeline(), p -> {
                    config.setAutoRead(false);
                    p.addLast("frontend", new FrontendHandler(shared, r, true));
                });
                ctx.pipeline().remove(this);
                return;
            }
            config.setAutoRead(false);
            if (r.config().splice() != Splice.OFF && ch instanceof EpollSocketChannel) {
                CountingRecvAllocator.install(config);
            }
            ctx.pipeline().addLast("frontend", new FrontendHandler(shared, r, false));
            ctx.pipeline().remove(this);
        }
    }
}
