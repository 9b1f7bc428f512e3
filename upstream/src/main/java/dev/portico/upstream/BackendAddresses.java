package dev.portico.upstream;

import dev.portico.core.net.HostPort;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The socket addresses of backends, for event loops that must never wait for a resolver. IP
 * literals are parsed once and kept. Names are looked up on a blocking executor: the first
 * connect to a name waits for its lookup (the caller is told when it is over), and after that the
 * last answer is used at once while a fresh one is fetched in the background every
 * {@link #REFRESH_NANOS}. A failed refresh keeps the last good address and is tried again after
 * {@link #RETRY_NANOS}. Thread-safe; one per service.
 */
public final class BackendAddresses {

    /** How long a name's answer is used before it is looked up again (the JDK's own cache keeps 30 s). */
    public static final long REFRESH_NANOS = 30_000_000_000L;
    /** How soon a failed lookup is tried again; meanwhile the last address stays in use. */
    public static final long RETRY_NANOS = 5_000_000_000L;
    private static final int MAX_LITERALS = 4096;

    /** A name's last lookup, and the {@link System#nanoTime()} after which it is looked up again. */
    private record Looked(InetSocketAddress address, long refreshAt) {
    }

    private final Executor blocking;
    private final Map<HostPort, InetSocketAddress> literals = new ConcurrentHashMap<>();
    private final Map<HostPort, Looked> names = new ConcurrentHashMap<>();
    /** Names being looked up again in the background. */
    private final Set<HostPort> refreshing = ConcurrentHashMap.newKeySet();
    /** Names being looked up for the first time, and what to run when each answer is in. */
    private final Map<HostPort, List<Runnable>> waiting = new ConcurrentHashMap<>();

    /** @param blocking where names are looked up, off the event loops */
    public BackendAddresses(Executor blocking) {
        this.blocking = blocking;
    }

    /** The address of an IP literal; an unresolved address for a name. */
    public static InetSocketAddress literalOrUnresolved(HostPort address) {
        String host = address.host();
        if (NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host)) {
            return new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(host), address.port());
        }
        return address.unresolved();
    }

    /** {@link #literalOrUnresolved}, kept when it is an IP literal; any thread. */
    public InetSocketAddress literal(HostPort address) {
        InetSocketAddress known = literals.get(address);
        if (known != null) {
            return known;
        }
        InetSocketAddress a = literalOrUnresolved(address);
        if (!a.isUnresolved()) {
            if (literals.size() > MAX_LITERALS) {
                literals.clear();
            }
            literals.put(address, a);
        }
        return a;
    }

    /**
     * The address to connect to, without ever looking a name up on the calling thread.
     *
     * @param now        {@link System#nanoTime()}, as the caller last read it
     * @param whenLooked run (on the blocking executor) once the first lookup of the name is
     *                   over, when this returns null; the caller asks again then
     * @return the address; null while the name's first lookup is under way; unresolved when the
     *         name has never resolved
     */
    public InetSocketAddress resolve(HostPort address, long now, Runnable whenLooked) {
        InetSocketAddress a = literal(address);
        return a.isUnresolved() ? name(address, now, whenLooked) : a;
    }

    /**
     * Connects {@code bootstrap} to {@code address} without a lookup on the event loop: at once
     * for an IP literal or a name already looked up; otherwise the channel is registered and
     * connects when the name's first lookup is in. {@code timeout} covers that wait as well as the
     * handshake; a name that does not resolve fails the returned future with an
     * {@link UnknownHostException}.
     */
    public ChannelFuture connect(Bootstrap bootstrap, HostPort address, Duration timeout) {
        InetSocketAddress a = literal(address);
        if (a.isUnresolved()) {
            a = names.containsKey(address) ? name(address, System.nanoTime(), null) : null;
        }
        if (a != null && !a.isUnresolved()) {
            return registerAndConnect(bootstrap, a);
        }
        ChannelFuture registered = bootstrap.register();
        Channel ch = registered.channel();
        ChannelPromise promise = ch.newPromise();
        registered.addListener(r -> {
            if (!r.isSuccess()) {
                promise.tryFailure(r.cause());
                return;
            }
            long millis = timeout.toMillis();
            ScheduledFuture<?> deadline = ch.eventLoop().schedule(() -> {
                if (promise.tryFailure(new ConnectTimeoutException("connect to " + address
                        + " (name lookup included) timed out after " + millis + " ms"))) {
                    ch.close();
                }
            }, millis, TimeUnit.MILLISECONDS);
            promise.addListener(f -> deadline.cancel(false));
            connectByName(ch, promise, address);
        });
        return promise;
    }

    /**
     * Registers a new channel and connects it in the same breath. {@link Bootstrap#connect} leaves
     * the connect to a later task of the loop, and meanwhile the loop handles the rest of the epoll
     * events it collected: Netty finds a channel by its file descriptor number, so an event of a
     * connection that closed a moment earlier (a backend killed with many connections open) goes
     * to the new socket that took its number. Unconnected, that socket fails its read and closes,
     * and the connect fails with a {@code ClosedChannelException} that has nothing to do with the
     * backend, yet marks it down. Once connecting, a stray event does no harm. Called on the loop,
     * the registration is over when {@link Bootstrap#register()} returns; otherwise the connect
     * runs in the registration's own listener, on the loop, before it handles any other event.
     */
    private static ChannelFuture registerAndConnect(Bootstrap bootstrap, InetSocketAddress target) {
        ChannelFuture registered = bootstrap.register();
        Channel ch = registered.channel();
        if (registered.isDone()) {
            return registered.isSuccess() ? ch.connect(target) : registered;
        }
        ChannelPromise promise = ch.newPromise();
        registered.addListener(r -> {
            if (r.isSuccess()) {
                ch.connect(target, promise);
            } else {
                promise.tryFailure(r.cause());
            }
        });
        return promise;
    }

    /** Connects {@code ch} once {@code address} is looked up; on {@code ch}'s loop. */
    private void connectByName(Channel ch, ChannelPromise promise, HostPort address) {
        if (promise.isDone()) {
            return;
        }
        InetSocketAddress target = resolve(address, System.nanoTime(),
                () -> ch.eventLoop().execute(() -> connectByName(ch, promise, address)));
        if (target == null) {
            return; // the first lookup of this name is under way
        }
        if (target.isUnresolved()) {
            if (promise.tryFailure(new UnknownHostException("cannot resolve " + address))) {
                ch.close();
            }
            return;
        }
        ch.connect(target, promise);
    }

    private InetSocketAddress name(HostPort address, long now, Runnable whenLooked) {
        Looked last = names.get(address);
        if (last == null) {
            lookUpFirst(address, whenLooked);
            return null;
        }
        if (now - last.refreshAt() >= 0 && refreshing.add(address)) {
            try {
                blocking.execute(() -> refresh(address, last));
            } catch (RejectedExecutionException e) {
                refreshing.remove(address);
            }
        }
        return last.address();
    }

    private void lookUpFirst(HostPort address, Runnable whenLooked) {
        boolean[] first = {false};
        waiting.compute(address, (k, list) -> {
            List<Runnable> l = list;
            if (l == null) {
                l = new ArrayList<>(2);
                first[0] = true;
            }
            l.add(whenLooked);
            return l;
        });
        if (first[0]) {
            try {
                blocking.execute(() -> lookedUpFirst(address, lookUp(address)));
            } catch (RejectedExecutionException e) {
                // Shutting down: the waiting connections fail as if the name were unknown.
                lookedUpFirst(address, address.unresolved());
            }
        }
    }

    private void lookedUpFirst(HostPort address, InetSocketAddress a) {
        names.put(address, new Looked(a, System.nanoTime() + (a.isUnresolved() ? RETRY_NANOS : REFRESH_NANOS)));
        List<Runnable> list = waiting.remove(address);
        if (list != null) {
            for (Runnable r : list) {
                r.run();
            }
        }
    }

    private void refresh(HostPort address, Looked last) {
        try {
            InetSocketAddress a = lookUp(address);
            long now = System.nanoTime();
            names.put(address, a.isUnresolved() ? new Looked(last.address(), now + RETRY_NANOS)
                    : new Looked(a, now + REFRESH_NANOS));
        } finally {
            refreshing.remove(address);
        }
    }

    private static InetSocketAddress lookUp(HostPort address) {
        try {
            return address.toAddress();
        } catch (RuntimeException e) {
            return address.unresolved();
        }
    }
}
