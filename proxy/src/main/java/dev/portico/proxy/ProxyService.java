package dev.portico.proxy;

import dev.portico.acme.CertificateManager;
import dev.portico.core.limits.ConnectionCap;
import dev.portico.core.limits.IdleConnection;
import dev.portico.core.lifecycle.Reconfigurable;
import dev.portico.core.lifecycle.Refreshable;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.config.Sizes;
import dev.portico.core.net.HostPort;
import dev.portico.proxy.cache.CacheConfig;
import dev.portico.proxy.cache.CacheMeters;
import dev.portico.proxy.cache.DiskSecondTier;
import dev.portico.proxy.cache.HttpCache;
import dev.portico.proxy.cache.SecondTier;
import dev.portico.proxy.cache.SecondTierFactory;
import dev.portico.core.tls.ServerTls;
import dev.portico.core.tls.TlsException;
import dev.portico.core.tls.TlsFrontDoor;
import dev.portico.core.transport.ListenSpec;
import dev.portico.core.transport.TcpListener;
import dev.portico.upstream.BackendAddresses;
import dev.portico.upstream.Pool;
import dev.portico.upstream.health.ProbeTransport;
import dev.portico.web.AcmeSlot;
import dev.portico.web.ManagedCertificates;
import dev.portico.web.h2.Http2Server;
import dev.portico.web.http.ErrorPages;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.HandshakeAdmission;
import dev.portico.web.http.HttpConnection;
import dev.portico.web.http.HttpListeners;
import dev.portico.web.http.RedirectListener;
import dev.portico.web.http.HttpContext;
import dev.portico.web.http.HttpDates;
import dev.portico.web.http.HttpOptions;
import dev.portico.web.http.RequestHandler;
import dev.portico.web.http.StrictRequestDecoder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An HTTP/1.1 reverse proxy ({@code type: proxy}). Client connections run the web module's HTTP
 * layer ({@link HttpConnection}, strict request framing, limits and timeouts); each request is
 * a {@link ProxyExchange} that picks a pool by Host, a backend by the pool's scheduler, and
 * streams the request and response through a keep-alive upstream connection on the client's own
 * event loop.
 *
 * <p>TLS listeners terminate TLS as the web service's do ({@link TlsFrontDoor}, then HTTP/1.1 or,
 * chosen by ALPN, HTTP/2 behind the {@code SslHandler}); {@code tls.redirect_http} opens a plain
 * listener that answers 308 to the https URL, {@code tls.hsts} adds Strict-Transport-Security to
 * TLS responses, and SIGHUP ({@link #refresh()}) reads the certificates again.
 */
public final class ProxyService implements Service, Reconfigurable<ProxyConfig>, Refreshable {

    private static final Logger log = LoggerFactory.getLogger(ProxyService.class);
    /** A client connection and the upstream one it uses. */
    private static final int DESCRIPTORS_PER_CONNECTION = 2;

    private final String name;
    private final ServiceContext context;
    private final ProbeTransport probes;
    private final HttpDates dates;
    /** Backends' addresses; names are looked up off the loops, and the answers outlive reloads. */
    private final BackendAddresses addresses;
    private final AtomicInteger connections = new AtomicInteger();
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Map<HostPort, TcpListener> listeners = new LinkedHashMap<>();
    private volatile State state;
    private final ProxyMetrics metrics;
    private final SecondTierFactory diskTier;
    /** Serves HTTP/2 clients (h2c here, h2 from a TLS listener's ALPN hook) with the same handlers. */
    private final Http2Server http2 = new Http2Server(() -> this.state.http(),
            () -> new ChannelHandler[] {new ClientWritability(), HttpConnection.forStream(() -> this.state.http())});
    /** Serves h2 chosen by a TLS listener's ALPN: as {@link #http2}, with the TLS header lines (HSTS). */
    private final Http2Server http2Tls = new Http2Server(() -> this.state.http(),
            () -> new ChannelHandler[] {new ClientWritability(),
                    HttpConnection.forStream(() -> this.state.http(), this.state.hsts())});
    private CacheMeters cacheMeters;
    /** The plain listener of {@code tls.redirect_http}, or null. */
    private final RedirectListener redirect;
    /** The ACME manager of {@code tls.acme}; kept across reloads with the same settings. */
    private final AcmeSlot acme;
    /** TLS connections in their handshake hold a place within {@code max_connections}. */
    private final HandshakeAdmission handshakes = new HandshakeAdmission(() -> this.state.http());
    /** The manager the first config needs, put in force by {@link #start()}. */
    private ManagedCertificates pendingAcme;

    /**
     * The parts built from one config; replaced whole on reload.
     *
     * @param tls      certificates for the TLS listeners, or null
     * @param specs    each listen address's settings
     * @param hsts     the Strict-Transport-Security line for TLS responses, or empty
     * @param redirect the context of the {@code redirect_http} listener, or null
     */
    private record State(ProxyShared shared, HttpContext http, ServerTls tls, Map<HostPort, ListenSpec> specs,
                         byte[] hsts, HttpContext redirect) {
        void close(boolean closeCache) {
            if (tls != null) {
                tls.close();
            }
            shared.routing().close();
            shared.connections().close();
            if (closeCache && shared.cache() != null) {
                shared.cache().close();
            }
        }
    }


    /**
     * @param name    the service name, for logs
     * @param config  the settings
     * @param context the process's transport, event loops and meters
     */
    public ProxyService(String name, ProxyConfig config, ServiceContext context) {
        this(name, config, context, DiskSecondTier::open);
    }

    /**
     * @param name     the service name, for logs
     * @param config   the settings
     * @param context  the process's transport, event loops, meters, clock and blocking executor
     * @param diskTier opens the cache's disk tier when {@code cache.dir} is set
     * @throws UncheckedIOException when the cache's disk tier cannot be opened
     */
    public ProxyService(String name, ProxyConfig config, ServiceContext context, SecondTierFactory diskTier) {
        this.diskTier = Objects.requireNonNull(diskTier, "diskTier");
        this.name = Objects.requireNonNull(name, "name");
        this.context = Objects.requireNonNull(context, "context");
        this.redirect = new RedirectListener(name, context, channels, () -> state.redirect());
        this.acme = new AcmeSlot(name, context, this::tls);
        this.dates = new HttpDates(context.clock());
        this.addresses = new BackendAddresses(context.blocking());
        this.metrics = new ProxyMetrics(name, context.meters(), connections, () -> state.shared().connections());
        this.probes = new ProbeTransport(context.workers(),
                new ReflectiveChannelFactory<>(context.transport().socketChannel()), context.blocking());
        try {
            this.pendingAcme = acme.prepare(config.acme());
            this.state = build(config, null, pendingAcme);
        } catch (IOException e) {
            acme.close();
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private State build(ProxyConfig config, State old, ManagedCertificates managed) throws IOException {
        var upstreamTls = Routing.clientTls(config, "proxy '" + name + "'");
        HttpCache cache = cache(config.cache(), old);
        Routing routing = new Routing(config, probes, upstreamTls);
        UpstreamConnections upstreams = new UpstreamConnections(context.transport().socketChannel(), config, addresses);
        Transparent transparent = config.transparent() == null ? null
                : new Transparent(config.transparent(), context.blocking());
        ProxyShared shared = new ProxyShared(config, routing, upstreams, name, transparent, cache, metrics,
                config.clientCertHeader() == null ? null : io.netty.util.AsciiString.cached(config.clientCertHeader()));
        HttpOptions options = new HttpOptions(8192, config.maxRequestHeaders(), 100, config.maxBodySize(),
                context.descriptors().maxConnections(config.maxConnections(), DESCRIPTORS_PER_CONNECTION),
                Duration.ofSeconds(10), config.idleTimeout(), config.idleTimeout(), HttpOptions.DEFAULT_MAX_PIPELINED,
                config.sendTimeout(), config.http2());
        RequestHandler proxying = ex -> handle(shared, ex);
        if (managed != null) {
            RequestHandler http01 = managed.http01Handler();
            proxying = ex -> http01.handle(ex) || handle(shared, ex);
        }
        HttpContext http = new HttpContext(options, proxying, ErrorPages.defaults(), dates, connections,
                ex -> metrics.completed(ex), context.transport().tcpCork(), "GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH");
        Map<HostPort, ListenSpec> specs = new HashMap<>();
        config.listeners().forEach(l -> specs.put(l.address(), l));
        ServerTls tls = null;
        byte[] hsts = new byte[0];
        HttpContext redirectHttp = null;
        if (config.tls() != null) {
            try {
                tls = openTls(config, managed);
            } catch (TlsException e) {
                routing.close();
                upstreams.close();
                if (cache != null && (old == null || cache != old.shared().cache())) {
                    cache.close();
                }
                throw new IOException(e.getMessage(), e);
            }
            if (config.tls().hsts() != null) {
                hsts = ("Strict-Transport-Security: max-age=" + config.tls().hsts().toSeconds() + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
            }
            if (config.tls().redirectHttp() != null) {
                RequestHandler toHttps = ex -> HttpListeners.redirectToHttps(ex, httpsPort());
                if (managed != null) {
                    RequestHandler http01 = managed.http01Handler();
                    toHttps = ex -> http01.handle(ex) || HttpListeners.redirectToHttps(ex, httpsPort());
                }
                redirectHttp = new HttpContext(options, toHttps,
                        ErrorPages.defaults(), dates, connections, ex -> metrics.completed(ex), null, "GET, HEAD");
            }
        }
        return new State(shared, http, tls, specs, hsts, redirectHttp);
    }

    private ServerTls openTls(ProxyConfig config, ManagedCertificates managed) throws TlsException {
        List<String> names = new ArrayList<>();
        for (ListenSpec l : config.listeners()) {
            if (l.tls()) {
                names.add(l.address().host());
            }
        }
        for (String host : config.pools().keySet()) {
            if (!host.equals(ProxyConfig.DEFAULT_POOL)) {
                names.add(host);
            }
        }
        return AcmeSlot.openTls(name, config.tls(), config.listeners(), names, context, managed);
    }

    /** The port of the first TLS listener, as bound (443 before it is). */
    private int httpsPort() {
        State st = state;
        synchronized (listeners) {
            for (Map.Entry<HostPort, TcpListener> e : listeners.entrySet()) {
                ListenSpec spec = st.specs().get(e.getKey());
                if (spec != null && spec.tls()) {
                    return e.getValue().localAddress().getPort();
                }
            }
        }
        return 443;
    }

    /** The cache for a config: the running one when its section is unchanged, else a new one. */
    private HttpCache cache(CacheConfig c, State old) throws IOException {
        HttpCache running = old == null ? null : old.shared().cache();
        if (c == null) {
            return null;
        }
        if (running != null && running.config().equals(c)) {
            return running;
        }
        if (running != null && c.dir() != null && c.dir().equals(running.config().dir())) {
            running.close();
        }
        SecondTier disk = null;
        if (c.dir() != null) {
            try {
                disk = diskTier.open(c.dir(), c.diskSize());
            } catch (IOException e) {
                throw new IOException("cache.dir " + c.dir() + ": " + e.getMessage(), e);
            }
        }
        if (cacheMeters == null) {
            cacheMeters = new CacheMeters(name, context.meters(), this::cache);
        }
        log.info("{}: cache of {} in memory{}", name, Sizes.format(c.memorySize()),
                disk == null ? "" : " and " + Sizes.format(c.diskSize()) + " on disk in " + c.dir());
        return new HttpCache(c, disk, context.clock(), context.blocking(), cacheMeters);
    }

    private static boolean handle(ProxyShared shared, Exchange ex) {
        String refused = RequestTarget.normalise(ex.request());
        if (refused != null) {
            log.debug("{}: {} from {}: {}", shared.name(), ex.method(), ex.remoteAddress(), refused);
            ex.closeAfterResponse();
            ex.respond(400, "text/plain; charset=utf-8", "400 Bad Request: " + refused + "\n");
            return true;
        }
        if (shared.cache() != null) {
            CachedExchange.handle(ex, shared);
        } else {
            new ProxyExchange(ex, shared).start();
        }
        return true;
    }

    /** HTTP/2 for this service's clients: what a TLS listener's ALPN hook calls for {@code h2}. */
    public Http2Server http2() {
        return http2;
    }

    /** The response cache, or null when the proxy has none. */
    public HttpCache cache() {
        State s = state;
        return s == null ? null : s.shared().cache();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return "proxy";
    }

    @Override
    public List<ConnectionCap> connectionCaps() {
        return List.of(new ConnectionCap(name, "connections", state.http().options().maxConnections(),
                DESCRIPTORS_PER_CONNECTION));
    }

    @Override
    public void idleConnections(Consumer<IdleConnection> into) {
        HttpListeners.idle(channels, into);
    }

    /** The settings in use. */
    public ProxyConfig config() {
        return state.shared().config();
    }

    @Override
    public synchronized void start() throws IOException {
        state.shared().routing().start();
        try {
            for (HostPort hp : config().listen()) {
                TcpListener l = bind(hp, config());
                synchronized (listeners) {
                    listeners.put(hp, l);
                }
            }
            openRedirect(config());
            acme.commit(pendingAcme);
            pendingAcme = null;
        } catch (IOException e) {
            stop(Duration.ZERO);
            throw e;
        }
    }

    /** SIGHUP with an unchanged config: certificates and other TLS files are read again. */
    @Override
    public void refresh() throws TlsException {
        ServerTls tls = state.tls();
        if (tls != null) {
            tls.reload();
        }
    }

    private TcpListener bind(HostPort hp, ProxyConfig cfg) throws IOException {
        TcpListener l = TcpListener.bind(context.transport(), context.workers(), hp, cfg.backlog(),
                new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        channels.add(ch);
                        State st = state;
                        ListenSpec spec = st.specs().get(hp);
                        if (spec != null && spec.tls() && st.tls() != null) {
                            byte[] hsts = st.hsts();
                            st.tls().install(ch.pipeline(), new TlsFrontDoor.Protocols() {
                                @Override
                                public void http1(ChannelPipeline p) {
                                    addHttp(p, new HttpConnection(() -> state.http(), hsts));
                                }

                                @Override
                                public void http2(ChannelPipeline p) {
                                    http2Tls.install(p, TlsFrontDoor.SSL);
                                }
                            }, handshakes, spec.http2() != ListenSpec.Http2.OFF);
                            ManagedCertificates m = acme.running();
                            if (m != null) {
                                m.addTlsAlpn01(ch.pipeline());
                            }
                            return;
                        }
                        addHttp(ch.pipeline(), new HttpConnection(() -> state.http()));
                        if (spec != null && spec.http2() == ListenSpec.Http2.H2C) {
                            ch.pipeline().addFirst(Http2Server.DETECTOR, http2.h2cDetector());
                        } else {
                            http2.addH2cDetector(ch.pipeline());
                        }
                    }
                });
        boolean tls = cfg.listeners().stream().anyMatch(s -> s.address().equals(hp) && s.tls());
        log.info("{}: proxy listening on {}{}", name, l.address(), tls ? " (TLS)" : "");
        return l;
    }

    private void addHttp(ChannelPipeline p, HttpConnection conn) {
        HttpOptions o = state.http().options();
        p.addLast("writability", new ClientWritability())
                .addLast("first-byte", conn.firstByteWatcher())
                .addLast("decoder", new StrictRequestDecoder(o.maxRequestLine(), o.maxHeaderSize()))
                .addLast("http", conn);
    }

    private static HostPort redirectTarget(ProxyConfig cfg) {
        return cfg.tls() == null ? null : cfg.tls().redirectHttp();
    }

    /** Opens, keeps or closes the {@code redirect_http} listener to match {@code cfg}. */
    private void openRedirect(ProxyConfig cfg) throws IOException {
        redirect.update(redirectTarget(cfg), cfg.backlog());
    }

    /** Applies new pools, schedulers, limits and listeners; open connections keep their exchange. */
    @Override
    public synchronized void reconfigure(ProxyConfig next) throws IOException {
        ManagedCertificates nextAcme = acme.prepare(next.acme());
        State fresh;
        try {
            fresh = build(next, state, nextAcme);
        } catch (IOException | RuntimeException e) {
            acme.abandon(nextAcme);
            throw e;
        }
        fresh.shared().routing().keepHostState(state.shared().routing());
        boolean sameCache = fresh.shared().cache() == state.shared().cache();
        List<TcpListener> opened = new ArrayList<>();
        try {
            for (HostPort hp : next.listen()) {
                if (!listeners.containsKey(hp)) {
                    opened.add(bind(hp, next));
                }
            }
        } catch (IOException e) {
            opened.forEach(TcpListener::close);
            fresh.close(!sameCache);
            acme.abandon(nextAcme);
            throw e;
        }
        State old = state;
        fresh.shared().routing().start();
        state = fresh;
        synchronized (listeners) {
            opened.forEach(l -> listeners.put(l.requested(), l));
            listeners.entrySet().removeIf(en -> {
                if (!next.listen().contains(en.getKey())) {
                    en.getValue().close();
                    return true;
                }
                return false;
            });
        }
        old.close(!sameCache);
        acme.commit(nextAcme);
        try {
            openRedirect(next);
        } catch (IOException e) {
            log.warn("{}: cannot open the redirect listener {}: {}", name, redirectTarget(next), e.getMessage());
        }
        log.info("{}: reloaded", name);
    }

    /** The port of the first listener (useful with port 0). */
    public int port() {
        synchronized (listeners) {
            return listeners.values().iterator().next().localAddress().getPort();
        }
    }

    /**
     * Each listen address as configured, with the address actually bound (the real port for port 0).
     *
     * @return configured address to bound address, in config order
     */
    public Map<HostPort, java.net.InetSocketAddress> listenAddresses() {
        Map<HostPort, java.net.InetSocketAddress> out = new LinkedHashMap<>();
        synchronized (listeners) {
            listeners.forEach((hp, l) -> out.put(hp, l.localAddress()));
        }
        return out;
    }

    /** The TLS contexts in use, or null without TLS listeners. */
    public ServerTls tls() {
        State st = state;
        return st == null ? null : st.tls();
    }

    /** The ACME manager of {@code tls.acme} (status, forced renewals), or null without one. */
    public CertificateManager certificateManager() {
        return acme.manager();
    }

    /** The port of the {@code redirect_http} listener, or -1. */
    public int redirectPort() {
        return redirect.port();
    }

    /**
     * The pools in use, by their Host key ({@code *} is the default), in the config's order: their
     * backends carry the health, admin state and connection counts the admin API shows. A
     * reconfiguration replaces them; a host that stays keeps its admin state and weight.
     */
    public Map<String, Pool> pools() {
        return state.shared().routing().pools();
    }

    /** Upstream connections opened so far. */
    public long upstreamConnectionsOpened() {
        return state.shared().connections().opened();
    }

    /** Requests that reused a pooled upstream connection. */
    public long upstreamConnectionsReused() {
        return state.shared().connections().reused();
    }

    @Override
    public List<String> endpoints() {
        State st = state;
        List<String> out = new ArrayList<>();
        synchronized (listeners) {
            for (Map.Entry<HostPort, TcpListener> e : listeners.entrySet()) {
                ListenSpec spec = st.specs().get(e.getKey());
                String plain = HttpListeners.endpoints(List.of(e.getValue())).getFirst();
                out.add(spec != null && spec.tls() ? "https" + plain.substring("http".length()) : plain);
            }
        }
        if (st.tls() != null) {
            out.add("TLS engine " + st.tls().engine().describe());
            if (st.tls().selfSigned() != null) {
                out.add("CA " + st.tls().selfSigned().caCert());
            }
        }
        String toHttps = redirect.endpoint();
        if (toHttps != null) {
            out.add(toHttps);
        }
        return out;
    }

    @Override
    public synchronized void stop(Duration grace) {
        synchronized (listeners) {
            listeners.values().forEach(TcpListener::close);
            listeners.clear();
        }
        redirect.close();
        acme.close();
        if (pendingAcme != null) {
            pendingAcme.close();
            pendingAcme = null;
        }
        HttpListeners.drain(channels, grace);
        state.close(true);
        if (cacheMeters != null) {
            cacheMeters.close();
        }
        metrics.close();
    }
}
