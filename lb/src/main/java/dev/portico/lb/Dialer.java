package dev.portico.lb;

import dev.portico.core.net.HostPort;
import dev.portico.upstream.Backend;
import dev.portico.upstream.scheduler.SelectionContext;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.NetUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Connects a client to a backend of the active group, on the client's own event loop. When the
 * chosen host refuses or does not answer in time, it is marked failed (and so DOWN) and the next
 * host is tried, never one already tried, up to the configured number of attempts. The client
 * sees none of this: it is not read from until a backend is connected.
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

    private final Class<? extends SocketChannel> channelClass;
    private final LbMetrics metrics;

    Dialer(Class<? extends SocketChannel> channelClass, LbMetrics metrics) {
        this.channelClass = channelClass;
        this.metrics = metrics;
    }

    /**
     * Starts dialing for {@code client}; call on its event loop.
     *
     * @param source the real client, for sticky and hash schedulers (the one a PROXY header named,
     *               else the peer); null when unknown
     */
    void dial(Channel client, Route route, InetSocketAddress source, Outcome outcome) {
        new Attempts(client, route, source, outcome).next();
    }

    /** The address to connect to: IP literals are used as is, names are resolved by Netty at connect time. */
    static InetSocketAddress connectAddress(HostPort address) {
        String host = address.host();
        if (NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host)) {
            return new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(host), address.port());
        }
        return address.unresolved();
    }

    /** The attempts of one client connection. */
    private final class Attempts {
        private final Channel client;
        private final Route route;
        private final Outcome outcome;
        private final SelectionContext selection;
        private final Set<Backend> tried = new HashSet<>();
        private int left;

        Attempts(Channel client, Route route, InetSocketAddress source, Outcome outcome) {
            this.client = client;
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
                outcome.exhausted(tried.isEmpty()
                        ? "no host of group " + route.group().name() + " is available"
                        : "tried " + tried.size() + " host(s) of group " + route.group().name() + ", none left");
                return;
            }
            Backend host = pick.get();
            left--;
            tried.add(host);
            host.onConnectStart();
            ChannelFuture connect;
            try {
                connect = bootstrap().connect(connectAddress(host.address()));
            } catch (RuntimeException e) {
                failed(host, e);
                return;
            }
            connect.addListener(f -> {
                if (f.isSuccess()) {
                    connected(host, connect.channel());
                } else {
                    failed(host, f.cause());
                }
            });
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

        private Bootstrap bootstrap() {
            int timeout = (int) Math.min(Integer.MAX_VALUE, route.config().connectTimeout().toMillis());
            return new Bootstrap()
                    .group(client.eventLoop())
                    .channel(channelClass)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeout)
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInboundHandlerAdapter());
        }
    }
}
