package dev.portico.lb;

import dev.portico.core.net.HostPort;
import dev.portico.upstream.Backend;
import dev.portico.upstream.BackendAddresses;
import dev.portico.upstream.scheduler.SelectionContext;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.channel.socket.SocketProtocolFamily;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

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
 * bootstrap, no handler and no resolver lookup. Backends given by name are looked up on the
 * blocking executor, never on a loop: a connection waits for its host's first lookup, and later
 * ones use the last answer while a fresh one is fetched in the background
 * ({@link #resolvedName}).
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
    /** Backend addresses: literals parsed once, names looked up off the loops. */
    private final BackendAddresses addresses;

    /** @param blocking where backends' names are looked up, off the event loops */
    Dialer(Class<? extends SocketChannel> channelClass, LbMetrics metrics, Executor blocking) {
        this.metrics = metrics;
        this.addresses = new BackendAddresses(blocking);
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

    /** A backend's address when it is an IP literal (parsed once), else unresolved; any thread. */
    InetSocketAddress target(HostPort address) {
        return addresses.literal(address);
    }

    /**
     * A backend's address, never looked up on the calling thread: see
     * {@link BackendAddresses#resolve}. Null while a name's first lookup is under way;
     * {@code whenLooked} runs once it is over.
     */
    InetSocketAddress resolvedName(HostPort address, long now, Runnable whenLooked) {
        return addresses.resolve(address, now, whenLooked);
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
        /** Set while the first lookup of {@link #current}'s name is awaited. */
        private ScheduledFuture<?> nameDeadline;
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
            InetSocketAddress target;
            try {
                target = target(host.address());
                if (target.isUnresolved()) {
                    target = resolvedName(host.address(), System.nanoTime(),
                            () -> client.eventLoop().execute(() -> looked(host)));
                    if (target == null) {
                        awaitName(host); // the name's first lookup runs off the loop; looked() goes on
                        return;
                    }
                }
            } catch (RuntimeException e) {
                failed(host, e);
                return;
            }
            connectTo(host, target);
        }

        /** Bounds the wait for {@code host}'s first lookup by the connect timeout. */
        private void awaitName(Backend host) {
            long millis = connectTimeoutMillis();
            nameDeadline = client.eventLoop().schedule(() -> {
                if (current != host || nameDeadline == null) {
                    return;
                }
                nameDeadline = null;
                if (!client.isActive()) {
                    host.onClosed(0, 0);
                    return;
                }
                failed(host, new ConnectTimeoutException("name lookup of " + host.address()
                        + " timed out after " + millis + " ms"));
            }, millis, TimeUnit.MILLISECONDS);
        }

        /** The first lookup of {@code host}'s name is over. */
        private void looked(Backend host) {
            if (current != host || nameDeadline == null) {
                return; // the wait timed out, and the attempts went on without this host
            }
            if (!client.isActive()) {
                nameDeadline.cancel(false);
                nameDeadline = null;
                host.onClosed(0, 0);
                return;
            }
            // The answer is stored before this runs; null would only mean another lookup began.
            InetSocketAddress target = resolvedName(host.address(), System.nanoTime(),
                    () -> client.eventLoop().execute(() -> looked(host)));
            if (target != null) {
                nameDeadline.cancel(false);
                nameDeadline = null;
                connectTo(host, target);
            }
        }

        private void connectTo(Backend host, InetSocketAddress target) {
            if (target.isUnresolved()) {
                failed(host, new UnknownHostException("cannot resolve " + host.address()));
                return;
            }
            ChannelFuture connect;
            try {
                connect = connect(target);
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
    }
}
