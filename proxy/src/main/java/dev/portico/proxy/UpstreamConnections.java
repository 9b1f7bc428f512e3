package dev.portico.proxy;

import dev.portico.upstream.Backend;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.timeout.IdleStateHandler;
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
 */
final class UpstreamConnections implements AutoCloseable {

    /** One idle connection and its expiry task. */
    private record Idle(Channel channel, ScheduledFuture<?> expiry) {
    }

    private final Class<? extends Channel> channelClass;
    private final ProxyConfig config;
    private final Map<EventLoop, Map<Backend, ArrayDeque<Idle>>> idle = new ConcurrentHashMap<>();
    private final LongAdder opened = new LongAdder();
    private final LongAdder reused = new LongAdder();

    UpstreamConnections(Class<? extends Channel> channelClass, ProxyConfig config) {
        this.channelClass = channelClass;
        this.config = config;
    }

    /** Connects a new upstream connection on {@code loop}. */
    ChannelFuture connect(EventLoop loop, Backend backend) {
        opened.increment();
        Duration idleTimeout = config.idleTimeout();
        return new Bootstrap().group(loop).channel(channelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast("idle", new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS))
                                .addLast("codec", new HttpClientCodec(new HttpDecoderConfig()
                                        .setMaxInitialLineLength(8192)
                                        .setMaxHeaderSize(config.maxResponseHeaders())
                                        .setMaxChunkSize(64 * 1024), false, false))
                                .addLast("upstream", new UpstreamHandler());
                    }
                })
                .connect(backend.address().toAddress());
    }

    /** Takes an idle connection to {@code backend} of this loop, or null. Call on {@code loop}. */
    Channel take(EventLoop loop, Backend backend) {
        Map<Backend, ArrayDeque<Idle>> perLoop = idle.get(loop);
        ArrayDeque<Idle> q = perLoop == null ? null : perLoop.get(backend);
        while (q != null && !q.isEmpty()) {
            Idle i = q.pollLast();
            i.expiry().cancel(false);
            if (i.channel().isActive()) {
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
        ArrayDeque<Idle> q = idle.computeIfAbsent(loop, l -> new HashMap<>()).computeIfAbsent(backend, b -> new ArrayDeque<>());
        if (q.size() >= config.keepAliveMax()) {
            ch.close();
            return;
        }
        ch.config().setAutoRead(true);
        ScheduledFuture<?> expiry = loop.schedule(() -> {
            ch.close();
        }, config.keepAliveIdle().toMillis(), TimeUnit.MILLISECONDS);
        Idle entry = new Idle(ch, expiry);
        q.addLast(entry);
        ch.closeFuture().addListener(f -> {
            q.remove(entry);
            expiry.cancel(false);
        });
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
        for (Map.Entry<EventLoop, Map<Backend, ArrayDeque<Idle>>> e : idle.entrySet()) {
            EventLoop loop = e.getKey();
            Runnable closeAll = () -> e.getValue().values().forEach(q -> {
                for (Idle i : q.toArray(new Idle[0])) {
                    i.channel().close();
                }
            });
            if (loop.inEventLoop()) {
                closeAll.run();
            } else if (!loop.isShuttingDown()) {
                loop.submit(closeAll).awaitUninterruptibly(1000);
            }
        }
    }
}
