package dev.portico.filestore;

import dev.portico.core.net.HostPort;
import dev.portico.upstream.Backend;
import dev.portico.upstream.Pool;
import dev.portico.upstream.health.HealthChecker;
import dev.portico.upstream.health.ProbeTransport;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Every node of a service (the union of all pools and stages), each once, with its health checks,
 * and how the router reaches them: the socket channel class and the timeouts.
 */
final class NodeContext implements AutoCloseable {

    private final Map<String, NodeState> nodes = new LinkedHashMap<>();
    private final Pool pool;
    private final HealthChecker checker;
    private final Class<? extends SocketChannel> channelClass;
    private final FilestoreConfig config;
    /** Idle kept-alive connections per event loop and node; each inner map is touched by its loop only. */
    private final Map<EventLoop, Map<NodeState, ArrayDeque<Channel>>> idle = new ConcurrentHashMap<>();
    /** Every node connection, closed when the service stops. */
    private final ChannelGroup open = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    /**
     * Idle connections kept per node per event loop: as many as the requests one loop may have at
     * a node at once under load, so that a burst of answers does not close connections the next
     * burst of requests opens again (each idle one closes after {@code idle_timeout}).
     */
    static final int MAX_IDLE = 512;

    NodeContext(String service, FilestoreConfig config, Class<? extends SocketChannel> channelClass,
                ProbeTransport probes) {
        this.config = config;
        this.channelClass = channelClass;
        this.pool = Pool.create("filestore:" + service);
        for (StorePool p : config.pools().values()) {
            for (String n : p.union()) {
                if (!nodes.containsKey(n)) {
                    Backend b = Backend.builder(HostPort.parse(n)).name(n).build();
                    pool.add(b);
                    nodes.put(n, new NodeState(n, b));
                }
            }
        }
        this.checker = HealthChecker.create(pool, config.health(), probes);
    }

    void start() {
        checker.start();
    }

    @Override
    public void close() {
        checker.close();
        open.close();
    }

    /** A new node connection, to be closed with the service. */
    void opened(Channel ch) {
        open.add(ch);
    }

    /** An idle connection to {@code node} made on {@code loop}, or null. Called on {@code loop}. */
    Channel takeIdle(EventLoop loop, NodeState node) {
        Map<NodeState, ArrayDeque<Channel>> byNode = idle.get(loop);
        ArrayDeque<Channel> q = byNode == null ? null : byNode.get(node);
        while (q != null && !q.isEmpty()) {
            Channel ch = q.pollLast();
            if (ch.isActive()) {
                return ch;
            }
        }
        return null;
    }

    /** Keeps a connection whose response ended for the next request; closes it when enough are kept. */
    void release(EventLoop loop, NodeState node, Channel ch) {
        Map<NodeState, ArrayDeque<Channel>> byNode = idle.get(loop);
        if (byNode == null) {
            byNode = idle.computeIfAbsent(loop, l -> new HashMap<>());
        }
        ArrayDeque<Channel> q = byNode.get(node);
        if (q == null) {
            q = new ArrayDeque<>(16);
            byNode.put(node, q);
        }
        if (q.size() >= MAX_IDLE) {
            q.removeIf(c -> !c.isActive()); // closed ones are otherwise dropped as takers meet them
        }
        if (q.size() >= MAX_IDLE) {
            ch.close();
            return;
        }
        q.addLast(ch);
    }

    Pool pool() {
        return pool;
    }

    NodeState node(String name) {
        return nodes.get(name);
    }

    Map<String, NodeState> nodes() {
        return Collections.unmodifiableMap(nodes);
    }

    Class<? extends SocketChannel> channelClass() {
        return channelClass;
    }

    Duration connectTimeout() {
        return config.connectTimeout();
    }

    Duration responseTimeout() {
        return config.responseTimeout();
    }

    Duration idleTimeout() {
        return config.idleTimeout();
    }

    /**
     * Replicas in the order a read tries them: healthy before unhealthy, then by measured latency
     * (in whole milliseconds, so near-equal nodes count as equal), random among equals.
     */
    List<NodeState> readOrder(List<String> names) {
        int n = names.size();
        NodeState[] order = new NodeState[n];
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < n; i++) {
            // filled in a random order (Fisher-Yates, inside out) ...
            int j = random.nextInt(i + 1);
            order[i] = order[j];
            order[j] = nodes.get(names.get(i));
        }
        // ... then sorted stably (equals stay in that order), by a comparator made once
        Arrays.sort(order, READ_ORDER);
        return Arrays.asList(order);
    }

    /** Healthy nodes first, then by whole milliseconds of latency (near-equal nodes count as equal). */
    private static final Comparator<NodeState> READ_ORDER = (a, b) -> {
        if (a.healthy() != b.healthy()) {
            return a.healthy() ? -1 : 1;
        }
        return Long.compare(a.latencyNanos() / 1_000_000, b.latencyNanos() / 1_000_000);
    };

    /** Nodes for a URL outside the prefix: healthy ones first, in random order (balanced). */
    List<NodeState> balancedOrder(List<String> names) {
        List<NodeState> out = new ArrayList<>(names.size());
        for (String n : names) {
            out.add(nodes.get(n));
        }
        Collections.shuffle(out, ThreadLocalRandom.current());
        out.sort((a, b) -> Boolean.compare(b.healthy(), a.healthy()));
        return out;
    }
}
