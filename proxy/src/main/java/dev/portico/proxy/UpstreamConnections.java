package dev.portico.proxy;

import dev.portico.upstream.Backend;
import dev.portico.upstream.BackendAddresses;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;

import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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
 * <p>Returning a connection to the pool schedules nothing: each entry notes when it expires, a
 * taker skips and closes expired ones, and one sweep per loop closes the rest, so a request costs
 * no timer work here. A connection expires after the idle expiry, or earlier when the backend
 * advertised a shorter {@code Keep-Alive: timeout=N}: it is closed a margin before the backend
 * would close it, so that a request never races the backend's own close. A connection holding
 * bytes nobody asked for is never handed out. A connection's close listener (which drops it from the pool) is added once,
 * when it is opened.
 *
 * <p>A backend with TLS gets an {@link SslHandler} first in each of its connections; a connection
 * is handed to an exchange only once its handshake is done, so a handshake failure is a connect
 * failure. The pools are per backend, and a backend's connections are all TLS or all plain, so a
 * pooled TLS connection is only ever reused for its own backend; it goes back to the pool, like a
 * plain one, only after a complete exchange, and a close_notify from the backend closes it there.
 */
final class UpstreamConnections implements AutoCloseable {

    /** One idle connection, its response decoder, and when it expires ({@link System#nanoTime()}). */
    private record Idle(Channel channel, UpstreamResponseDecoder decoder, long expires) {
    }

    /** One loop's pools, and its sweep. */
    private static final class LoopPools {
        final Map<Backend, ArrayDeque<Idle>> byBackend = new HashMap<>();
        /** Whether a backend advertised a Keep-Alive timeout shorter than the expiry: queues are then not in expiry order. */
        boolean shortened;
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
     *
     * <p>A connect that fails because the channel closed on this side ({@link ClosedChannelException})
     * is made once more on a new channel: nothing reached the backend, so the failure must not
     * count against it (a failed connect marks a backend down at once). Netty's epoll loop finds a
     * channel by its file descriptor number, and a stray event of a connection that closed a moment
     * earlier can close a socket that took its number before it is connected.
     *
     * @return the connected channel, or the cause of the failure
     */
    Future<Channel> connect(EventLoop loop, Backend backend) {
        Promise<Channel> result = loop.newPromise();
        open(loop, backend, result, true);
        return result;
    }

    private void open(EventLoop loop, Backend backend, Promise<Channel> result, boolean again) {
        opened.increment();
        addresses.connect(bootstrap(loop, backend), backend.address(), config.connectTimeout()).addListener(
                (ChannelFuture f) -> {
                    if (f.isSuccess()) {
                        if (backend.tls() == null) {
                            handOver(f.channel(), result);
                        } else {
                            handshake(f.channel(), f.channel().pipeline().get(SslHandler.class), result);
                        }
                    } else if (again && f.cause() instanceof ClosedChannelException && !result.isDone()) {
                        open(loop, backend, result, false);
                    } else {
                        result.tryFailure(f.cause());
                    }
                });
    }

    private static void handOver(Channel ch, Promise<Channel> result) {
        if (!result.trySuccess(ch)) {
            ch.close();
        }
    }

    /**
     * Hands a TLS connection over once its handshake is done. A failed handshake (the backend's
     * certificate refused, a timeout, a close) fails the connect: no request byte was sent, so it
     * is a connect failure to the exchange, retried like a refused connect.
     */
    private static void handshake(Channel ch, SslHandler ssl, Promise<Channel> result) {
        ssl.handshakeFuture().addListener(hs -> {
            if (hs.isSuccess()) {
                handOver(ch, result);
            } else {
                ch.close();
                result.tryFailure(hs.cause());
            }
        });
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
                        if (backend.tls() != null) {
                            ch.pipeline().addLast("tls", backend.tls().newHandler(ch.alloc(), backend.address().host(),
                                    backend.address().port(), config.connectTimeout()));
                        }
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
        while (!q.isEmpty()) {
            Idle i = q.pollLast();
            if (now - i.expires() >= 0 || i.decoder().leftover() != 0) {
                // Expired, or the backend sent bytes while it idled (the decoder holds them).
                i.channel().close();
            } else if (i.channel().isActive()) {
                reused.increment();
                return i.channel();
            }
        }
        return null;
    }

    /**
     * How long a connection may idle: the configured expiry, or less when the backend's
     * Keep-Alive field advertised a shorter timeout (then a second less, or half of it when it is
     * shorter than two seconds); 0 when the backend advertised 0.
     */
    long maxIdleNanos(long advertisedSeconds) {
        long configured = config.keepAliveIdle().toNanos();
        if (advertisedSeconds < 0) {
            return configured;
        }
        long advertised = TimeUnit.SECONDS.toNanos(advertisedSeconds);
        long margin = Math.min(TimeUnit.SECONDS.toNanos(1), advertised / 2);
        return Math.min(configured, advertised - margin);
    }

    /**
     * Returns a connection after a clean exchange; closes it when the pool is full. Call on its loop.
     *
     * @param decoder          the connection's response decoder
     * @param keepAliveSeconds the timeout the backend's Keep-Alive field advertised, or -1
     */
    void release(Backend backend, Channel ch, UpstreamResponseDecoder decoder, long keepAliveSeconds) {
        EventLoop loop = ch.eventLoop();
        long maxIdle = maxIdleNanos(keepAliveSeconds);
        if (config.keepAliveMax() == 0 || !ch.isActive() || maxIdle <= 0) {
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
        if (maxIdle < config.keepAliveIdle().toNanos()) {
            pools.shortened = true;
        }
        q.addLast(new Idle(ch, decoder, System.nanoTime() + maxIdle));
    }

    /** A loop's pools, with a sweep that closes connections idle for longer than the expiry. */
    private LoopPools newPools(EventLoop loop) {
        LoopPools pools = new LoopPools();
        long period = Math.clamp(config.keepAliveIdle().toMillis() / 4, 10, 1000);
        pools.sweep = loop.scheduleAtFixedRate(() -> sweep(pools), period, period, TimeUnit.MILLISECONDS);
        return pools;
    }

    /**
     * Closes the expired connections of one loop. Most expire in the order they went idle, so the
     * scan stops at the first live one unless some backend advertised a shorter timeout.
     */
    private void sweep(LoopPools pools) {
        long now = System.nanoTime();
        for (ArrayDeque<Idle> q : pools.byBackend.values()) {
            while (!q.isEmpty() && now - q.peekFirst().expires() >= 0) {
                q.pollFirst().channel().close();
            }
            if (pools.shortened && !q.isEmpty()) {
                List<Channel> expired = new ArrayList<>();
                for (Iterator<Idle> it = q.iterator(); it.hasNext(); ) {
                    Idle i = it.next();
                    if (now - i.expires() >= 0) {
                        it.remove();
                        expired.add(i.channel());
                    }
                }
                expired.forEach(Channel::close);
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
