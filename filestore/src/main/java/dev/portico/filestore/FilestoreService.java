package dev.portico.filestore;

import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.limits.ConnectionCap;
import dev.portico.core.limits.IdleConnection;
import dev.portico.core.net.HostPort;
import dev.portico.core.transport.TcpListener;
import dev.portico.proxy.ProxyCache;
import dev.portico.upstream.Pool;
import dev.portico.upstream.health.ProbeTransport;
import dev.portico.web.http.ErrorPages;
import dev.portico.web.http.HttpConnection;
import dev.portico.web.http.HttpContext;
import dev.portico.web.http.HttpDates;
import dev.portico.web.http.HttpListeners;
import dev.portico.web.http.HttpOptions;
import dev.portico.web.http.StrictRequestDecoder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The file store router ({@code type: filestore}): client connections run the web module's HTTP
 * layer (strict framing, limits, timeouts); each request goes to the nodes placement computes
 * for it ({@link Router}). Starting checks the config's layout against the state file and
 * records it.
 */
public final class FilestoreService implements Service {

    private static final Logger log = LoggerFactory.getLogger(FilestoreService.class);
    /** A client connection and the node connections a write opens (two copies by default). */
    private static final int DESCRIPTORS_PER_CONNECTION = 3;

    private final String name;
    private final FilestoreConfig config;
    private final ServiceContext context;
    private final AtomicInteger connections = new AtomicInteger();
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final List<TcpListener> listeners = new ArrayList<>();
    private final NodeContext nodes;
    private final FilestoreMetrics metrics;
    private final ProxyCache cache;
    private final HttpContext http;
    /** Set by {@link #start()}: the journal, its replay and what the exchanges share. */
    private volatile Shared shared;
    private volatile HandoffJournal journal;
    private Handoff handoff;
    private NodeClient nodeClient;
    /** The repair started from the admin side, while it runs. */
    private StoreRepair repair;
    private Thread repairThread;

    /** @throws UncheckedIOException when the cache's disk tier cannot be opened */
    public FilestoreService(String name, FilestoreConfig config, ServiceContext context) {
        this.name = Objects.requireNonNull(name, "name");
        this.config = Objects.requireNonNull(config, "config");
        this.context = Objects.requireNonNull(context, "context");
        ProbeTransport probes = new ProbeTransport(context.workers(),
                new ReflectiveChannelFactory<>(context.transport().socketChannel()), context.blocking());
        this.nodes = new NodeContext(name, config, context.transport().socketChannel(), probes);
        this.metrics = new FilestoreMetrics(name, context.meters());
        try {
            this.cache = config.cache() == null ? null : ProxyCache.open(name, config.cache(), context);
        } catch (IOException e) {
            metrics.close();
            throw new UncheckedIOException("service '" + name + "': " + e.getMessage(), e);
        }
        HttpOptions options = new HttpOptions(8192, 16384, 100,
                config.maxBodySize() == 0 ? Long.MAX_VALUE : config.maxBodySize(),
                context.descriptors().maxConnections(config.maxConnections(), DESCRIPTORS_PER_CONNECTION),
                Duration.ofSeconds(10), config.idleTimeout(), config.idleTimeout(), HttpOptions.DEFAULT_MAX_PIPELINED,
                HttpOptions.DEFAULT_SEND_TIMEOUT);
        this.http = new HttpContext(options, ex -> Router.handle(shared, ex), ErrorPages.defaults(),
                new HttpDates(context.clock()), connections, ex -> Router.completed(shared, ex),
                context.transport().tcpCork(), Router.ALLOWED);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return "filestore";
    }

    public FilestoreConfig config() {
        return config;
    }

    /** The response cache of reads, or null when the service has none. */
    public ProxyCache cache() {
        return cache;
    }

    /** The nodes with their health, traffic and latency, and the request counters. */
    public FilestoreStatus status() {
        List<FilestoreStatus.Node> out = new ArrayList<>();
        for (NodeState n : nodes.nodes().values()) {
            out.add(new FilestoreStatus.Node(n.name(), n.backend(), n.latencyNanos()));
        }
        return new FilestoreStatus(out, count(metrics.reads), count(metrics.writesComplete),
                count(metrics.writesDegraded), count(metrics.writesFailed), count(metrics.missingCopies));
    }

    private static long count(io.micrometer.core.instrument.Counter c) {
        return (long) c.count();
    }

    /** Every node of the service with its health and counters. */
    public Pool nodes() {
        return nodes.pool();
    }

    /** The directory of the layout file, the journal and the check and repair records. */
    public Path stateDir() {
        return config.stateDir() != null ? config.stateDir() : context.stateDir();
    }

    @Override
    public synchronized void start() throws IOException {
        Path stateDir = stateDir();
        try {
            Layout.reconcile(Layout.file(stateDir, name), config);
        } catch (Layout.LayoutChanged e) {
            throw new IOException("service '" + name + "': " + e.getMessage(), e);
        }
        try {
            journal = HandoffJournal.open(HandoffJournal.file(stateDir, name), config.tombstoneTtl(),
                    config.handoff().maxEntries(), context.clock().millis(), context.blocking());
        } catch (IOException e) {
            throw new IOException("service '" + name + "': the handoff journal: " + e.getMessage(), e);
        }
        nodeClient = new NodeClient(config.connectTimeout(), config.responseTimeout());
        handoff = new Handoff(name, config, journal, nodes, nodeClient, metrics, context.clock(), context.blocking());
        metrics.journalLength(journal::size);
        shared = new Shared(name, config, nodes, metrics, handoff, cache);
        if (journal.pendingSize() > 0) {
            log.info("{}: the handoff journal holds {} writes to replay", name, journal.pendingSize());
        }
        nodes.start();
        handoff.start(context.workers());
        try {
            for (HostPort hp : config.listen()) {
                listeners.add(bind(hp));
            }
        } catch (IOException e) {
            stop(Duration.ZERO);
            throw e;
        }
    }

    private TcpListener bind(HostPort hp) throws IOException {
        TcpListener l = TcpListener.bind(context.transport(), context.workers(), hp, config.backlog(),
                new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        channels.add(ch);
                        HttpConnection conn = new HttpConnection(() -> http);
                        HttpOptions o = http.options();
                        ch.pipeline().addLast("first-byte", conn.firstByteWatcher())
                                .addLast("decoder", new StrictRequestDecoder(o.maxRequestLine(), o.maxHeaderSize()))
                                .addLast("http", conn);
                    }
                });
        log.info("{}: file store listening on {}", name, l.address());
        return l;
    }

    @Override
    public List<ConnectionCap> connectionCaps() {
        return List.of(new ConnectionCap(name, "connections", http.options().maxConnections(),
                DESCRIPTORS_PER_CONNECTION));
    }

    @Override
    public void idleConnections(Consumer<IdleConnection> into) {
        HttpListeners.idle(channels, into);
    }

    @Override
    public List<String> endpoints() {
        return HttpListeners.endpoints(listeners);
    }

    // ---- a read-only view for the admin API and console -----------------------------------------

    /** Live records in the handoff journal: writes a node missed, and tombstones (0 before start). */
    public int handoffJournalLength() {
        HandoffJournal j = journal;
        return j == null ? 0 : j.size();
    }

    /** Writes a node missed that are still to be replayed (the journal without its tombstones). */
    public int handoffPending() {
        HandoffJournal j = journal;
        return j == null ? 0 : j.pendingSize();
    }

    /** Why the handoff journal cannot be written now (degraded writes are refused meanwhile), or empty. */
    public Optional<String> handoffJournalProblem() {
        HandoffJournal j = journal;
        return j == null ? Optional.empty() : Optional.ofNullable(j.broken());
    }

    /** The result of the last {@code portico fs check} of this service, if one has run. */
    public Optional<StoreCheck.Result> lastCheck() {
        return StoreCheck.last(stateDir(), name);
    }

    /** The progress of the last (or running) {@code portico fs repair} of this service, if one has run. */
    public Optional<StoreRepair.Progress> repairProgress() {
        return StoreRepair.last(stateDir(), name);
    }

    /**
     * Starts {@code fs repair} of every pool in the background, at {@link StoreRepair#DEFAULT_RATE}
     * actions a second, without deleting misplaced copies; an unfinished plan is continued. Its
     * progress is {@link #repairProgress()}.
     *
     * @return false when one started here is still running
     */
    public synchronized boolean startRepair() {
        if (repairThread != null && repairThread.isAlive()) {
            return false;
        }
        StoreRepair r = new StoreRepair(name, config, stateDir());
        StoreRepair.Options options = new StoreRepair.Options(StoreRepair.DEFAULT_RATE, false, Set.of(), false);
        repair = r;
        repairThread = Thread.ofVirtual().name("fs-repair-" + name).start(() -> {
            try {
                log.info("{}: repair started from the admin side", name);
                StoreRepair.Progress p = r.run(null, options, StoreCheck.Progress.NONE, (f, outcome, done, total) -> {
                });
                log.info("{}: repair finished: {}", name, StoreRepair.summary(p));
            } catch (IOException | RuntimeException e) {
                log.warn("{}: the repair stopped: {}", name, e.getMessage() == null ? e.toString() : e.getMessage());
            } finally {
                r.close();
            }
        });
        return true;
    }

    /** Whether a repair started with {@link #startRepair()} is running. */
    public synchronized boolean repairRunning() {
        return repairThread != null && repairThread.isAlive();
    }

    /** The handoff's replay, once started: tests run its rounds by hand. */
    Handoff handoff() {
        return handoff;
    }

    /** The port of the first listener (useful with port 0). */
    public int port() {
        return listeners.getFirst().localAddress().getPort();
    }

    @Override
    public synchronized void stop(Duration grace) {
        listeners.forEach(TcpListener::close);
        listeners.clear();
        HttpListeners.drain(channels, grace);
        if (handoff != null) {
            handoff.close();
            nodeClient.close(); // a replay still copying fails now, and finds the journal closed
            journal.close();
        }
        synchronized (this) {
            if (repairThread != null && repairThread.isAlive()) {
                repair.close(); // its node requests fail now; the plan kept lets the next repair continue
                repairThread.interrupt();
            }
        }
        nodes.close();
        metrics.close();
        if (cache != null) {
            cache.close();
        }
    }
}
