package dev.portico.core.transport;

import dev.portico.core.net.HostPort;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP listening address served by every event loop of a group. With SO_REUSEPORT each loop
 * gets its own listening socket and keeps the connections it accepts, so there is no hand-off
 * between threads; without it one socket accepts and spreads connections over the loops. When
 * {@code accept(2)} fails (out of file descriptors), accepting pauses briefly rather than spinning,
 * and the failure is logged at most once every few seconds ({@link AcceptBackoff}).
 */
public final class TcpListener implements AutoCloseable {

    private final HostPort requested;
    private final List<Channel> channels;
    private final ListenAddresses.Claim claim;

    private TcpListener(HostPort requested, List<Channel> channels, ListenAddresses.Claim claim) {
        this.requested = requested;
        this.channels = List.copyOf(channels);
        this.claim = claim;
    }

    /**
     * Binds {@code address} on every loop of {@code group}. Port 0 picks one free port that all
     * the loops then share. An address that another process listens on is refused (see
     * {@link ListenAddresses}), so SO_REUSEPORT never shares it by accident.
     *
     * @throws IOException with the address in its message when binding fails
     */
    public static TcpListener bind(Transport transport, EventLoopGroup group, HostPort address,
                                   int backlog, ChannelHandler childInitializer) throws IOException {
        List<Channel> channels = new ArrayList<>();
        InetSocketAddress target = address.toAddress();
        AcceptBackoff backoff = new AcceptBackoff(System::nanoTime);
        ListenAddresses.Claim claim = transport.listening().claim(ListenAddresses.Protocol.TCP, target, address);
        try {
            if (transport.supportsReusePort()) {
                for (EventExecutor executor : group) {
                    EventLoop loop = (EventLoop) executor;
                    ServerBootstrap b = bootstrap(transport, loop, loop, backlog, backoff, childInitializer);
                    transport.reusePort(b);
                    Channel ch = sync(b.bind(target), address);
                    channels.add(ch);
                    if (target.getPort() == 0) {
                        target = new InetSocketAddress(target.getAddress(), ((InetSocketAddress) ch.localAddress()).getPort());
                    }
                }
            } else {
                ServerBootstrap b = bootstrap(transport, group.next(), group, backlog, backoff, childInitializer);
                channels.add(sync(b.bind(target), address));
            }
            if (address.port() == 0) {
                claim.bound((InetSocketAddress) channels.getFirst().localAddress());
            }
        } catch (IOException | RuntimeException e) {
            channels.forEach(Channel::close);
            claim.close();
            throw e;
        }
        return new TcpListener(address, channels, claim);
    }

    private static ServerBootstrap bootstrap(Transport transport, EventLoopGroup parent, EventLoopGroup child,
                                             int backlog, AcceptBackoff backoff, ChannelHandler init) {
        return new ServerBootstrap()
                .group(parent, child)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, backlog)
                .option(ChannelOption.SO_REUSEADDR, true)
                // TCP_NODELAY is on already: Netty's socket channels set it as they are made, so
                // setting it again here cost one more setsockopt per accepted connection. No
                // SO_KEEPALIVE either (nginx and HAProxy leave it off too): idle timeouts close
                // forgotten connections.
                .handler(backoff)
                .childHandler(init);
    }

    private static Channel sync(ChannelFuture f, HostPort address) throws IOException {
        f.awaitUninterruptibly();
        if (!f.isSuccess()) {
            Throwable c = f.cause();
            throw new IOException("cannot listen on " + address + ": " + (c.getMessage() != null ? c.getMessage() : c), c);
        }
        return f.channel();
    }

    /** The address as configured. */
    public HostPort requested() {
        return requested;
    }

    /** The address actually bound (the real port when 0 was asked for). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channels.get(0).localAddress();
    }

    /**
     * The address bound, for logs and banners: {@code 0.0.0.0:8080}, {@code [::]:8080},
     * {@code 127.0.0.1:43210} (see {@link HostPort#bound}).
     */
    public HostPort address() {
        return HostPort.bound(requested, localAddress());
    }

    /** The number of listening sockets behind this address. */
    public int sockets() {
        return channels.size();
    }

    /** Stops accepting. Connections already accepted are left alone. */
    @Override
    public void close() {
        for (Channel ch : channels) {
            ch.close().awaitUninterruptibly();
        }
        claim.close();
    }
}
