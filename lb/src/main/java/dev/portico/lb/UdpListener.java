package dev.portico.lb;

import dev.portico.core.net.HostPort;
import dev.portico.core.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A UDP address of a UDP lb service. With SO_REUSEPORT every event loop binds its own socket and
 * keeps the sessions of the clients the kernel hashes to it (the kernel keeps a client address
 * on one socket), so a session, its upstream socket and its timers live on one thread. Without
 * it (NIO) one socket on one loop serves every client.
 */
final class UdpListener implements LbListener {

    private final HostPort requested;
    private final List<Channel> channels;

    private UdpListener(HostPort requested, List<Channel> channels) {
        this.requested = requested;
        this.channels = List.copyOf(channels);
    }

    /**
     * Binds {@code address} on every loop of {@code group}; port 0 picks one free port shared by all.
     *
     * @throws IOException with the address in its message when binding fails
     */
    static UdpListener bind(Transport transport, EventLoopGroup group, HostPort address, LbShared shared)
            throws IOException {
        List<Channel> channels = new ArrayList<>();
        InetSocketAddress target = address.toAddress();
        try {
            List<EventLoop> loops = new ArrayList<>();
            if (transport.supportsReusePort()) {
                for (EventExecutor executor : group) {
                    loops.add((EventLoop) executor);
                }
            } else {
                loops.add(group.next());
            }
            for (EventLoop loop : loops) {
                Bootstrap b = new Bootstrap()
                        .group(loop)
                        .channel(transport.datagramChannel())
                        .option(ChannelOption.SO_REUSEADDR, true)
                        .option(ChannelOption.SO_RCVBUF, 1 << 20)
                        .handler(new UdpFrontend(shared));
                if (loops.size() > 1) {
                    transport.reusePort(b);
                }
                Channel ch = sync(b.bind(target), address);
                channels.add(ch);
                if (target.getPort() == 0) {
                    target = new InetSocketAddress(target.getAddress(), ((InetSocketAddress) ch.localAddress()).getPort());
                }
            }
        } catch (IOException | RuntimeException e) {
            channels.forEach(Channel::close);
            throw e;
        }
        return new UdpListener(address, channels);
    }

    private static Channel sync(ChannelFuture f, HostPort address) throws IOException {
        f.awaitUninterruptibly();
        if (!f.isSuccess()) {
            Throwable c = f.cause();
            throw new IOException("cannot listen on udp " + address + ": " + (c.getMessage() != null ? c.getMessage() : c), c);
        }
        return f.channel();
    }

    @Override
    public HostPort requested() {
        return requested;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channels.get(0).localAddress();
    }

    @Override
    public int sockets() {
        return channels.size();
    }

    @Override
    public String scheme() {
        return "udp";
    }

    /** Closes the sockets; the sessions they carried close with them, as replies could no longer reach the clients. */
    @Override
    public void close() {
        for (Channel ch : channels) {
            ch.close().awaitUninterruptibly();
        }
    }
}
