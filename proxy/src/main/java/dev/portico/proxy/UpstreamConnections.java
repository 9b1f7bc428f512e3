package dev.portico.proxy;

import dev.portico.upstream.Backend;
import dev.portico.upstream.BackendAddresses;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Connections to backends: new ones are opened on the client's own event loop, and idle
 * keep-alive ones wait in a pool per event loop and per backend, so an exchange only ever
 * touches connections of its own thread. An idle connection closes after the idle expiry, or
 * when the backend sends anything or closes it.
 *
 * <p>Returning a connection to the pool schedules nothing: each entry notes when it went idle, a
 * taker skips and closes expired ones, and one sweep per loop closes the rest, so a request costs
 * no timer work here. A connection's close listener (which drops it from the pool) is added once,
 * when it is opened.
 */
final class UpstreamConnections implements AutoCloseable {

    /** One idle connection and the time it went idle ({@link System#nanoTime()}). */
    private record Idle(Channel channel, long since) {
    }

    /** One loop's pools, and its sweep. */
    private static final class LoopPools {
        final Map<Backend, ArrayDeque<Idle>> byBackend = new HashMap<>();
        ScheduledFuture<?> sweep;
    }

    private final Class<? extends Channel> channelClass;
    private final ProxyConfig config;
    private final BackendAddresses addresses;
    private final Map<EventLoop, LoopPools> idle = new ConcurrentHashMap<>();
    private final LongAdder opened = new LongAdder();
    private final LongAdder reused = new LongAdder();

    UpstreamConnections(Class<? extends Channel> channelClass, ProxyConfig config, BackendAddresses addresses) {
        this.channelClass = channelClass;
        this.addresses = addresses;
        this.config = config;
    }

    /**
     * Connects a new upstream connection on {@code loop}. A backend given by name is looked up
     * off the loop (see {@link BackendAddresses}); the connect timeout covers that wait too.
     */
    ChannelFuture connect(EventLoop loop, Backend backend) {
        opened.increment();
        return addresses.connect(bootstrap(loop, backend), backend.address(), config.connectTimeout());
    }

    private Bootstrap bootstrap(EventLoop loop, Backend backend) {
        Duration idleTimeout = config.idleTimeout();
        return new Bootstrap().group(loop).channel(channelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        UpstreamResponseDecoder decoder = new UpstreamResponseDecoder(config.maxResponseHeaders());
                        ch.pipeline()
                                .addLast("idle", new IdleWatch(idleTimeout.toNanos(), backend))
                                .addLast("codec", decoder)
                                .addLast("upstream", new UpstreamHandler(decoder));
                        ch.closeFuture().addListener(f -> forget(ch, backend));
                    }
                });
    }

    /** Drops a closed connection from its loop's pool, if it waits there. */
    private void forget(Channel ch, Backend backend) {
        LoopPools pools = idle.get(ch.eventLoop());
        ArrayDeque<Idle> q = pools == null ? null : pools.byBackend.get(backend);
        if (q != null) {
            q.removeIf(i -> i.channel() == ch);
        }
    }

    /** Takes an idle connection to {@code backend} of this loop, or null. Call on {@code loop}. */
    Channel take(EventLoop loop, Backend backend) {
        LoopPools pools = idle.get(loop);
        ArrayDeque<Idle> q = pools == null ? null : pools.byBackend.get(backend);
        if (q == null || q.isEmpty()) {
            return null;
        }
        long now = System.nanoTime();
        long maxIdle = config.keepAliveIdle().toNanos();
        while (!q.isEmpty()) {
            Idle i = q.pollLast();
            if (now - i.since() >= maxIdle) {
                i.channel().close();
            } else if (i.channel().isActive()) {
                reused.increment();
                return i.channel();
            }
        }
        return null;
    }

    /** Returns a connection after a clean exchange; closes it when the pool is full. Call on its loop. */
    void release(Backend backend, Channel ch) {
        EventLoop loop = ch.eventLoop();
        if (config.keepAliveMax() == 0 || !ch.isActive()) {
            ch.close();
            return;
        }
        LoopPools pools = idle.get(loop);
        if (pools == null) {
            pools = idle.computeIfAbsent(loop, this::newPools);
        }
        ArrayDeque<Idle> q = pools.byBackend.computeIfAbsent(backend, b -> new ArrayDeque<>());
        if (q.size() >= config.keepAliveMax()) {
            ch.close();
            return;
        }
        ch.config().setAutoRead(true);
        q.addLast(new Idle(ch, System.nanoTime()));
    }

    /** A loop's pools, with a sweep that closes connections idle for longer than the expiry. */
    private LoopPools newPools(EventLoop loop) {
        LoopPools pools = new LoopPools();
        long period = Math.clamp(config.keepAliveIdle().toMillis() / 4, 10, 1000);
        pools.sweep = loop.scheduleAtFixedRate(() -> sweep(pools), period, period, TimeUnit.MILLISECONDS);
        return pools;
    }

    /** Closes the expired connections of one loop; the oldest wait at the head of each queue. */
    private void sweep(LoopPools pools) {
        long now = System.nanoTime();
        long maxIdle = config.keepAliveIdle().toNanos();
        for (ArrayDeque<Idle> q : pools.byBackend.values()) {
            while (!q.isEmpty() && now - q.peekFirst().since() >= maxIdle) {
                q.pollFirst().channel().close();
            }
        }
    }

    /** Connections opened so far. */
    long opened() {
        return opened.sum();
    }

    /** Exchanges that reused a pooled connection. */
    long reused() {
        return reused.sum();
    }

    /** Closes every idle connection, waiting briefly for the closes when called off the loops. */
    @Override
    public void close() {
        for (Map.Entry<EventLoop, LoopPools> e : idle.entrySet()) {
            EventLoop loop = e.getKey();
            LoopPools pools = e.getValue();
            Runnable closeAll = () -> {
                if (pools.sweep != null) {
                    pools.sweep.cancel(false);
                }
                pools.byBackend.values().forEach(q -> {
                    for (Idle i : q.toArray(new Idle[0])) {
                        i.channel().close();
                    }
                });
            };
            if (loop.inEventLoop()) {
                closeAll.run();
            } else if (!loop.isShuttingDown()) {
                loop.submit(closeAll).awaitUninterruptibly(1000);
            }
        }
    }
}
