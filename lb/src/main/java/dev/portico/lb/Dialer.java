package dev.portico.lb;

import dev.portico.core.net.HostPort;
import dev.portico.upstream.Backend;
import dev.portico.upstream.scheduler.SelectionContext;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.NetUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Connects a client to a backend of the active group, on the client's own event loop. When the
 * chosen host refuses or does not answer in time, it is marked failed (and so DOWN) and the next
 * host is tried, never one already tried, up to the configured number of attempts. The client
 * sees none of this: it is not read from until a backend is connected.
 *
 * <p>New connections are the balancer's most frequent event, so a connect attempt costs little:
 * backends given as IP literals are parsed once and kept, the channel is made directly (an IPv4
 * socket for an IPv4 backend where the transport allows, which saves the dual-stack option call),
 * configured through its typed setters and registered on the client's loop, with no
 * {@link Bootstrap}, no handler and no resolver lookup. Backends given by name still go through a
 * {@link Bootstrap}, whose resolver looks the name up at each connect.
 */
final class Dialer {

    private static final Logger log = LoggerFactory.getLogger(Dialer.class);

    /** Told how a dial ended. Called on the client's event loop. */
    interface Outcome {
        /**
         * A backend accepted; {@code channel} is connected with auto-read off.
         *
         * @param redispatch call it when that backend closes before a single byte went either way:
         *                   the host is marked down and the next one is tried for the same client
         */
        void connected(Backend host, Channel channel, Runnable redispatch);

        /** Every allowed attempt failed, or no host was eligible. */
        void exhausted(String why);
    }

    private final ChannelFactory<? extends SocketChannel> anyFamily;
    private final ChannelFactory<? extends SocketChannel> ipv4;
    private final LbMetrics metrics;
    /** Backend addresses that are IP literals, parsed once. */
    private final Map<HostPort, InetSocketAddress> literals = new ConcurrentHashMap<>();
    /** For the native engine: backends given by name, their last lookup and when to look again. */
    private final Map<HostPort, Looked> names = new ConcurrentHashMap<>();
    /** Names being looked up again in the background. */
    private final Set<HostPort> lookingUp = ConcurrentHashMap.newKeySet();
    private final Executor blocking;

    /** A name's last lookup, and the {@link System#nanoTime()} after which it is looked up again. */
    private record Looked(InetSocketAddress address, long refreshAt) {
    }

    /** How long a name's lookup is used before it is looked up again (the JDK's own cache keeps 30 s). */
    static final long NAME_REFRESH_NANOS = 30_000_000_000L;
    /** How soon a failed lookup again is tried again, meanwhile the last address stays in use. */
    static final long NAME_RETRY_NANOS = 5_000_000_000L;

    /** @param blocking where names are looked up again, off the event loops */
    Dialer(Class<? extends SocketChannel> channelClass, LbMetrics metrics, Executor blocking) {
        this.metrics = metrics;
        this.blocking = blocking;
        this.anyFamily = factory(channelClass, null);
        ChannelFactory<? extends SocketChannel> v4 = factory(channelClass, SocketProtocolFamily.INET);
        this.ipv4 = v4 != null ? v4 : anyFamily;
    }

    /**
     * A factory calling the channel class's public constructor, with a protocol family when given;
     * null when there is no such constructor.
     */
    private static ChannelFactory<? extends SocketChannel> factory(Class<? extends SocketChannel> type,
                                                                  SocketProtocolFamily family) {
        MethodHandle ctor;
        try {
            ctor = family == null
                    ? MethodHandles.publicLookup().findConstructor(type, MethodType.methodType(void.class))
                    : MethodHandles.publicLookup().findConstructor(type,
                            MethodType.methodType(void.class, SocketProtocolFamily.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            if (family == null) {
                throw new IllegalArgumentException(type.getName() + " has no public no-argument constructor", e);
            }
            return null;
        }
        return () -> {
            try {
                return type.cast(family == null ? ctor.invoke() : ctor.invoke(family));
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException("cannot create a " + type.getSimpleName(), e);
            }
        };
    }

    /**
     * Starts dialing for {@code client}; call on its event loop.
     *
     * @param source the real client, for sticky and hash schedulers (the one a PROXY header named,
     *               else the peer); null when unknown
     * @param dataWaiting whether client bytes are ready to go as soon as the backend is connected:
     *                    then the backend socket delays the handshake's last ACK (TCP_QUICKACK
     *                    off, as HAProxy does) so that it leaves with them, one packet less
     */
    void dial(Channel client, Route route, InetSocketAddress source, boolean dataWaiting, Outcome outcome) {
        new Attempts(client, route, source, dataWaiting, outcome).next();
    }

    /** Why no host could be picked, for the log line. */
    static String noneLeft(Route route, int tried) {
        return tried == 0
                ? "no host of group " + route.group().name() + " is available"
                : "tried " + tried + " host(s) of group " + route.group().name() + ", none left";
    }

    /**
     * {@code tried} with one more host. Most connections try one host, so the list is small and
     * only made into a growable one on the first retry.
     */
    static List<Backend> plus(List<Backend> tried, Backend host) {
        if (tried.isEmpty()) {
            return List.of(host);
        }
        List<Backend> more = new ArrayList<>(tried);
        more.add(host);
        return more;
    }

    /** The address to connect to: IP literals are used as is, names are resolved by Netty at connect time. */
    static InetSocketAddress connectAddress(HostPort address) {
        String host = address.host();
        if (NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host)) {
            return new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(host), address.port());
        }
        return address.unresolved();
    }

    /** {@link #connectAddress} for a backend, kept when it is an IP literal; any thread. */
    InetSocketAddress target(HostPort address) {
        InetSocketAddress known = literals.get(address);
        if (known != null) {
            return known;
        }
        InetSocketAddress a = connectAddress(address);
        if (!a.isUnresolved()) {
            if (literals.size() > 4096) {
                literals.clear();
            }
            literals.put(address, a);
        }
        return a;
    }

    /**
     * For the native engine, whose loops must not wait for a resolver: the address of a backend
     * given by name. The first connect to a name looks it up on the calling thread (through the
     * JDK's resolver); after that the last answer is used, and once it is older than
     * {@link #NAME_REFRESH_NANOS} it is looked up again on the blocking executor while the old
     * address stays in use (a failed lookup keeps it and is tried again after
     * {@link #NAME_RETRY_NANOS}). Unresolved when the first lookup failed.
     *
     * @param now {@link System#nanoTime()} as the caller's loop last read it
     */
    InetSocketAddress resolvedName(HostPort address, long now) {
        Looked last = names.get(address);
        if (last == null) {
            InetSocketAddress a = address.toAddress();
            if (!a.isUnresolved()) {
                names.put(address, new Looked(a, now + NAME_REFRESH_NANOS));
            }
            return a;
        }
        if (now - last.refreshAt() >= 0 && lookingUp.add(address)) {
            try {
                blocking.execute(() -> lookUpAgain(address, last));
            } catch (RejectedExecutionException e) {
                lookingUp.remove(address);
            }
        }
        return last.address();
    }

    private void lookUpAgain(HostPort address, Looked last) {
        try {
            InetSocketAddress a = address.toAddress();
            long now = System.nanoTime();
            names.put(address, a.isUnresolved() ? new Looked(last.address(), now + NAME_RETRY_NANOS)
                    : new Looked(a, now + NAME_REFRESH_NANOS));
        } finally {
            lookingUp.remove(address);
        }
    }

    /** The attempts of one client connection. */
    private final class Attempts implements ChannelFutureListener {
        private final Channel client;
        private final Route route;
        private final Outcome outcome;
        private final SelectionContext selection;
        /** Hosts tried so far; most connections try one, so the list is small and made on the first retry. */
        private List<Backend> tried = List.of();
        private final boolean dataWaiting;
        private Backend current;
        private int left;

        Attempts(Channel client, Route route, InetSocketAddress source, boolean dataWaiting, Outcome outcome) {
            this.client = client;
            this.dataWaiting = dataWaiting;
            this.route = route;
            this.outcome = outcome;
            this.selection = source != null ? SelectionContext.ofClient(source) : SelectionContext.empty();
            this.left = route.config().attempts(route.group().pool().members().size());
        }

        void next() {
            if (!client.isActive()) {
                return;
            }
            if (left == 0) {
                outcome.exhausted("tried " + tried.size() + " host(s) of group " + route.group().name()
                        + ", all failed");
                return;
            }
            Optional<Backend> pick = route.group().pick(selection, tried, route.config().maxPerBackend());
            if (pick.isEmpty()) {
                outcome.exhausted(noneLeft(route, tried.size()));
                return;
            }
            Backend host = pick.get();
            left--;
            tried = plus(tried, host);
            host.onConnectStart();
            current = host;
            ChannelFuture connect;
            try {
                connect = connect(target(host.address()));
            } catch (RuntimeException e) {
                failed(host, e);
                return;
            }
            connect.addListener(this);
        }

        /** The connect of {@link #current} ended. */
        @Override
        public void operationComplete(ChannelFuture f) {
            Backend host = current;
            if (f.isSuccess()) {
                connected(host, f.channel());
            } else {
                failed(host, f.cause());
            }
        }

        private ChannelFuture connect(InetSocketAddress target) {
            if (target.isUnresolved()) {
                return bootstrap().connect(target);
            }
            SocketChannel ch = (target.getAddress() instanceof Inet4Address ? ipv4 : anyFamily).newChannel();
            SocketChannelConfig config = ch.config();
            config.setConnectTimeoutMillis(connectTimeoutMillis());
            config.setAllowHalfClosure(true);
            config.setAutoRead(false);
            if (ch instanceof EpollSocketChannel epoll) {
                if (route.config().splice() != Splice.OFF) {
                    CountingRecvAllocator.install(config);
                }
                if (dataWaiting) {
                    epoll.config().setTcpQuickAck(false);
                }
            }
            // TCP_NODELAY is already on: Netty's socket channels set it when they are made.
            ChannelFuture registered = client.eventLoop().register(ch);
            if (registered.isDone()) {
                if (!registered.isSuccess()) {
                    ch.unsafe().closeForcibly();
                    return registered;
                }
                return ch.connect(target);
            }
            ChannelPromise promise = ch.newPromise();
            registered.addListener(r -> {
                if (r.isSuccess()) {
                    ch.connect(target, promise);
                } else {
                    ch.unsafe().closeForcibly();
                    promise.setFailure(r.cause());
                }
            });
            return promise;
        }

        private int connectTimeoutMillis() {
            return (int) Math.min(Integer.MAX_VALUE, route.config().connectTimeout().toMillis());
        }

        private void connected(Backend host, Channel channel) {
            if (!client.isActive()) {
                channel.close();
                host.onClosed(0, 0);
                return;
            }
            outcome.connected(host, channel, () -> closedEarly(host));
        }

        /**
         * The backend accepted, then closed before sending or receiving anything (a listener that
         * was closing with this connection still in its backlog). Nothing has reached the backend,
         * so the client goes to the next host as if the connect had failed. The connection's own
         * close already settled the host's open count; only its health changes here.
         */
        private void closedEarly(Backend host) {
            host.markHealth(dev.portico.upstream.HealthState.DOWN, "closed the connection before any byte");
            metrics.failover();
            log.debug("{} closed {}'s connection before any byte; {} attempt(s) left", host, client.remoteAddress(), left);
            next();
        }

        private void failed(Backend host, Throwable cause) {
            String reason = cause.getMessage() != null ? cause.getMessage() : cause.toString();
            host.onConnectFailed(reason);
            metrics.failover();
            log.debug("connect to {} for {} failed: {}; {} attempt(s) left", host, client.remoteAddress(), reason, left);
            next();
        }

        /** For backends given by name: the bootstrap's resolver looks the name up. */
        private Bootstrap bootstrap() {
            return new Bootstrap()
                    .group(client.eventLoop())
                    .channelFactory(anyFamily)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis())
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, route.config().splice() != Splice.OFF
                            ? new CountingRecvAllocator(new AdaptiveRecvByteBufAllocator())
                            : new AdaptiveRecvByteBufAllocator())
                    .handler(new ChannelInboundHandlerAdapter());
        }
    }
}
