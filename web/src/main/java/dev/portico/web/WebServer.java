package dev.portico.web;

import dev.portico.core.limits.ConnectionCap;
import dev.portico.core.limits.IdleConnection;
import dev.portico.core.lifecycle.Reconfigurable;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.net.HostPort;
import dev.portico.core.transport.TcpListener;
import dev.portico.web.files.FileCache;
import dev.portico.web.files.GzipStore;
import dev.portico.web.files.RootWatcher;
import dev.portico.web.files.Site;
import dev.portico.web.files.StaticFiles;
import dev.portico.web.dav.WebDavHandler;
import dev.portico.web.h2.Http2Server;
import dev.portico.web.http.ErrorPages;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.ExchangeListener;
import dev.portico.web.http.HttpConnection;
import dev.portico.web.http.HttpListeners;
import dev.portico.web.http.HttpContext;
import dev.portico.web.http.HttpOptions;
import dev.portico.web.http.HttpDates;
import dev.portico.web.http.RequestHandler;
import dev.portico.web.http.StrictRequestDecoder;
import dev.portico.web.log.AccessLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A web service: static files (and, for embedders, routes before them) on one or more listeners.
 * It can take a new config while running: listeners are opened and closed to match, and the
 * rest of the state is swapped at once for the next request of every connection.
 */
public final class WebServer implements Service, Reconfigurable<WebConfig> {

    private static final Logger log = LoggerFactory.getLogger(WebServer.class);

    private final String name;
    private final ServiceContext context;
    private final List<RequestHandler> before;
    private final AtomicInteger connections = new AtomicInteger();
    private final ChannelGroup channels = new DefaultChannelGroup("web", GlobalEventExecutor.INSTANCE);
    private final Map<HostPort, TcpListener> listeners = new LinkedHashMap<>();
    private final HttpDates dates;
    private final Counter[] statusClasses = new Counter[6];
    private final DistributionSummary responseBytes;
    private final Timer latency;
    /** Reads {@link #connections}: removed on stop, so a server started again under this name shows its own. */
    private final Gauge connectionsGauge;
    private final List<ServerLifecycle> started = new ArrayList<>();
    /** Serves HTTP/2 connections (h2c here, h2 from a TLS listener's ALPN hook) with the same handlers. */
    private final Http2Server http2 = new Http2Server(() -> this.state.http(),
            () -> new ChannelHandler[] {HttpConnection.forStream(() -> this.state.http())});
    private volatile State state;
    private volatile WebConfig config;

    /** The parts built from one config; replaced whole on reload. */
    private record State(WebConfig config, HttpContext http, FileCache cache, RootWatcher watcher, AccessLog accessLog) {
        void close() {
            if (watcher != null) {
                watcher.close();
            }
            if (accessLog != null) {
                accessLog.close();
            }
            cache.invalidateAll();
        }
    }

    public WebServer(String name, WebConfig config, ServiceContext context) {
        this(name, config, context, List.of());
    }

    /**
     * @param before handlers tried before the static files, in order (routes, WebDAV…)
     */
    public WebServer(String name, WebConfig config, ServiceContext context, List<RequestHandler> before) {
        this.name = name;
        this.config = config;
        this.context = context;
        this.before = List.copyOf(before);
        this.dates = new HttpDates(context.clock());
        MeterRegistry m = context.meters();
        String[] classes = {"1xx", "1xx", "2xx", "3xx", "4xx", "5xx"};
        for (int i = 1; i < 6; i++) {
            statusClasses[i] = Counter.builder("portico_http_requests").tag("service", name).tag("status", classes[i])
                    .description("HTTP requests answered, by status class").register(m);
        }
        statusClasses[0] = statusClasses[1];
        this.responseBytes = DistributionSummary.builder("portico_http_response_bytes").tag("service", name)
                .baseUnit("bytes").description("Bytes sent per response").register(m);
        this.latency = Timer.builder("portico_http_request_duration").tag("service", name)
                .description("Time from request headers to response written to the socket buffer")
                .publishPercentileHistogram().register(m);
        this.connectionsGauge = Gauge.builder("portico_http_connections_open", connections, AtomicInteger::get)
                .tag("service", name).description("Open client connections").register(m);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<ConnectionCap> connectionCaps() {
        return List.of(new ConnectionCap(name, "connections", state.http().options().maxConnections(), 1));
    }

    @Override
    public void idleConnections(Consumer<IdleConnection> into) {
        HttpListeners.idle(channels, into);
    }

    @Override
    public String type() {
        return "web";
    }

    public WebConfig config() {
        return config;
    }

    @Override
    public synchronized void start() throws Exception {
        state = build(config);
        try {
            openListeners(config);
            for (RequestHandler h : before) {
                if (h instanceof ServerLifecycle l) {
                    l.onStart(this);
                    started.add(l);
                }
            }
        } catch (Exception e) {
            stop(Duration.ZERO);
            throw e;
        }
    }

    @Override
    public synchronized void reconfigure(WebConfig next) throws IOException {
        State fresh = build(next);
        List<HostPort> wanted = next.listen();
        List<TcpListener> opened = new ArrayList<>();
        try {
            for (HostPort hp : wanted) {
                if (!listeners.containsKey(hp)) {
                    opened.add(bind(hp, next));
                }
            }
        } catch (IOException e) {
            opened.forEach(TcpListener::close);
            fresh.close();
            throw e;
        }
        State old = state;
        state = fresh;
        config = next;
        opened.forEach(l -> listeners.put(l.requested(), l));
        listeners.entrySet().removeIf(en -> {
            if (!wanted.contains(en.getKey())) {
                en.getValue().close();
                log.info("{}: closed listener {}", name, en.getKey());
                return true;
            }
            return false;
        });
        old.close();
        log.info("{}: reloaded ({} listeners)", name, listeners.size());
    }

    private void openListeners(WebConfig cfg) throws IOException {
        for (HostPort hp : cfg.listen()) {
            TcpListener l = bind(hp, cfg);
            listeners.put(hp, l);
        }
    }

    private TcpListener bind(HostPort hp, WebConfig cfg) throws IOException {
        TcpListener l = TcpListener.bind(context.transport(), context.workers(), hp, cfg.backlog(), new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                channels.add(ch);
                HttpConnection conn = new HttpConnection(() -> state.http());
                HttpContext http = state.http();
                ch.pipeline().addLast("first-byte", conn.firstByteWatcher())
                        .addLast("decoder", new StrictRequestDecoder(http.options().maxRequestLine(), http.options().maxHeaderSize()))
                        .addLast("http", conn);
                http2.addH2cDetector(ch.pipeline());
            }
        });
        log.info("{}: listening on {} ({} sockets)", name, l.address(), l.sockets());
        return l;
    }

    private State build(WebConfig cfg) throws IOException {
        Path realRoot = realDir(cfg.root(), "root");
        Site defaultSite = new Site(0, realRoot);
        Map<String, Site> hosts = new HashMap<>();
        List<Path> roots = new ArrayList<>();
        roots.add(realRoot);
        int id = 1;
        for (Map.Entry<String, Path> e : cfg.hosts().entrySet()) {
            Path r = realDir(e.getValue(), "root of host " + e.getKey());
            hosts.put(e.getKey(), new Site(id++, r));
            roots.add(r);
        }
        FileCache cache = new FileCache(cfg.cacheMaxSize());
        RootWatcher watcher = new RootWatcher(roots, cache::invalidate);
        GzipStore gzipStore = null;
        if (cfg.gzip().enabled()) {
            Path dir = cfg.gzip().cacheDir() != null ? cfg.gzip().cacheDir()
                    : Path.of(System.getProperty("java.io.tmpdir"), "portico-gzip-" + name);
            gzipStore = new GzipStore(dir, cfg.gzip().level());
        }
        Map<Integer, byte[]> pages = new HashMap<>();
        for (Map.Entry<Integer, Path> e : cfg.errorPages().entrySet()) {
            pages.put(e.getKey(), Files.readAllBytes(e.getValue()));
        }
        AccessLog accessLog = cfg.accessLog() != null ? new AccessLog(cfg.accessLog()) : null;
        StaticFiles files = new StaticFiles(cfg, defaultSite, hosts, cache, gzipStore, dates, context.meters(), name);
        List<RequestHandler> chain = new ArrayList<>(before);
        if (cfg.webdav().enabled()) {
            chain.add(new WebDavHandler(cfg.webdav(), defaultSite, hosts, context.blocking(), cache::invalidate,
                    files.mimeTypes()));
        }
        chain.add(files);
        RequestHandler handler = ex -> {
            for (RequestHandler h : chain) {
                if (h.handle(ex) || ex.responded()) {
                    return true;
                }
            }
            ex.error(isKnownMethod(ex.method().name()) ? 405 : 501);
            return true;
        };
        ExchangeListener listener = ex -> completed(ex, accessLog);
        HttpOptions options = cfg.http().withMaxConnections(
                context.descriptors().maxConnections(cfg.http().maxConnections(), 1));
        HttpContext http = new HttpContext(options, handler, new ErrorPages(pages), dates, connections, listener,
                context.transport().tcpCork(), allowedMethods(cfg));
        return new State(cfg, http, cache, watcher, accessLog);
    }

    private static String allowedMethods(WebConfig cfg) {
        return cfg.webdav().enabled() ? WebDavHandler.ALLOW : "GET, HEAD";
    }

    private static boolean isKnownMethod(String m) {
        return switch (m) {
            case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "MKCOL", "COPY",
                 "MOVE", "PROPFIND", "PROPPATCH", "LOCK", "UNLOCK" -> true;
            default -> false;
        };
    }

    private void completed(Exchange ex, AccessLog accessLog) {
        int cls = Math.min(Math.max(ex.status() / 100, 1), 5);
        statusClasses[cls].increment();
        responseBytes.record(ex.bytesSent());
        latency.record(System.nanoTime() - ex.startNanos(), TimeUnit.NANOSECONDS);
        if (accessLog != null) {
            accessLog.record(ex, dates.millis());
        }
    }

    private static Path realDir(Path dir, String what) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(what + " " + dir + " is not a directory");
        }
        return dir.toRealPath();
    }

    /** The port the first listener is bound to (useful with port 0). */
    public int port() {
        return listeners.values().iterator().next().localAddress().getPort();
    }

    /**
     * Each listen address as configured, with the address actually bound (the real port for port 0).
     *
     * @return configured address to bound address, in config order
     */
    public synchronized Map<HostPort, InetSocketAddress> listenAddresses() {
        Map<HostPort, InetSocketAddress> out = new LinkedHashMap<>();
        listeners.forEach((hp, l) -> out.put(hp, l.localAddress()));
        return out;
    }

    /** HTTP/2 for this service's connections: what a TLS listener's ALPN hook calls for {@code h2}. */
    public Http2Server http2() {
        return http2;
    }

    /** Open client connections. */
    public int openConnections() {
        return connections.get();
    }

    @Override
    public List<String> endpoints() {
        return HttpListeners.endpoints(listeners.values());
    }

    @Override
    public synchronized void stop(Duration grace) {
        listeners.values().forEach(TcpListener::close);
        listeners.clear();
        HttpListeners.drain(channels, grace);
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).onStop(this);
            } catch (RuntimeException e) {
                log.warn("{}: stop callback failed", name, e);
            }
        }
        started.clear();
        if (state != null) {
            state.close();
        }
        // A server started again under this name registers its own gauge, not this one's.
        context.meters().remove(connectionsGauge);
    }
}
