package dev.portico.dns;

import dev.portico.core.net.HostPort;
import dev.portico.core.transport.BatchedUdpSocket;
import dev.portico.core.transport.ListenAddresses;
import dev.portico.core.transport.TcpListener;
import dev.portico.core.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.EventExecutor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * One listen address served over UDP and TCP on the same port. On Linux with a native transport,
 * UDP is served by one {@link BatchedUdpLoop} thread and socket per event loop (recvmmsg/sendmmsg,
 * no per-query objects); elsewhere by datagram channels on the loops. With SO_REUSEPORT every event loop
 * gets its own UDP socket (and its own TCP listening socket), so the kernel spreads queries over
 * the loops with no hand-off; port 0 binds the first UDP socket on a free port and reuses that
 * port for the other sockets and for TCP. TCP listens only once UDP is bound, so a client that
 * finds the TCP port open is answered over UDP as well.
 */
final class DnsListener implements AutoCloseable {

    private static final int BIND_ATTEMPTS = 8;
    private static final int UDP_BUFFER = 4 << 20;
    /** The longest query read over UDP; real queries are a few hundred bytes. */
    static final int MAX_UDP_QUERY = 2048;
    /** Queries taken per read call where the transport batches (recvmmsg). */
    private static final int READ_BATCH = 16;

    private final HostPort requested;
    private final List<Channel> udp;
    private final List<BatchedUdpLoop> batched;
    private final TcpListener tcp;
    private final InetSocketAddress bound;
    private final ListenAddresses.Claim udpClaim;

    private DnsListener(HostPort requested, List<Channel> udp, List<BatchedUdpLoop> batched, TcpListener tcp,
                        InetSocketAddress bound, ListenAddresses.Claim udpClaim) {
        this.udpClaim = udpClaim;
        this.requested = requested;
        this.udp = List.copyOf(udp);
        this.batched = List.copyOf(batched);
        this.tcp = tcp;
        this.bound = bound;
    }

    /**
     * Whether UDP on {@code transport} is served by {@link BatchedUdpLoop} threads (Linux native
     * transports) rather than by datagram channels on the event loops.
     */
    static boolean batchedUdp(Transport transport) {
        return transport.kind() != Transport.Kind.NIO && BatchedUdpSocket.available();
    }

    /**
     * Binds UDP and TCP. With port 0 a few free ports are tried until one is free for both. UDP
     * answers pass {@code rrl} (read per answer, null when off); TCP answers are never limited. A TCP
     * connection that would take {@code tcpOpen} above {@code tcpCap} is closed as it is accepted.
     *
     * @throws IOException naming the address when binding fails
     */
    static DnsListener bind(Transport transport, EventLoopGroup group, HostPort address, QueryProcessor processor,
                            Supplier<Rrl> rrl, Supplier<Duration> tcpIdle, AtomicInteger tcpOpen, IntSupplier tcpCap)
            throws IOException {
        UdpQueryHandler udpHandler = new UdpQueryHandler(processor, rrl);
        TcpQueryHandler tcpHandler = new TcpQueryHandler(processor);
        ChannelInitializer<SocketChannel> tcpInit = new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (tcpOpen.incrementAndGet() > tcpCap.getAsInt()) {
                    tcpOpen.decrementAndGet();
                    ch.close();
                    return;
                }
                ch.closeFuture().addListener(f -> tcpOpen.decrementAndGet());
                ch.pipeline().addLast(
                        new IdleStateHandler(0, 0, tcpIdle.get().toMillis(), TimeUnit.MILLISECONDS),
                        new LengthFieldBasedFrameDecoder(QueryProcessor.TCP_LIMIT, 0, 2, 0, 2),
                        new LengthFieldPrepender(2),
                        tcpHandler);
            }
        };
        int attempts = address.port() == 0 ? BIND_ATTEMPTS : 1;
        IOException last = null;
        for (int i = 0; i < attempts; i++) {
            // UDP first, TCP last: a client that finds the TCP port open may ask over UDP at once,
            // and must not get "port unreachable". With port 0 the first UDP socket picks the
            // port; when TCP finds it taken (by a client's ephemeral port), another is tried.
            List<Channel> udp = new ArrayList<>();
            List<BatchedUdpLoop> batched = new ArrayList<>();
            ListenAddresses.Claim udpClaim = null;
            try {
                udpClaim = transport.listening().claim(ListenAddresses.Protocol.UDP, address.toAddress(), address);
                InetSocketAddress target = batchedUdp(transport)
                        ? bindBatched(group, address.toAddress(), processor, rrl, batched)
                        : bindUdp(transport, group, address.toAddress(), udpHandler, udp);
                if (address.port() == 0) {
                    udpClaim.bound(target);
                    tcpPortFree(target);
                }
                TcpListener tcp = TcpListener.bind(transport, group, address.withPort(target.getPort()), 1024, tcpInit);
                return new DnsListener(address, udp, batched, tcp, target, udpClaim);
            } catch (IOException e) {
                udp.forEach(Channel::close);
                batched.forEach(BatchedUdpLoop::close);
                if (udpClaim != null) {
                    udpClaim.close();
                }
                last = e;
            }
        }
        throw last;
    }

    /**
     * Fails when any TCP socket holds the port the UDP sockets got: the listeners bind with
     * SO_REUSEPORT, which would otherwise join another listener of this user on that port. A
     * plain socket, bound and never listening, finds out without accepting anyone.
     */
    private static void tcpPortFree(InetSocketAddress at) throws IOException {
        try (Socket probe = new Socket()) {
            probe.bind(at);
        } catch (IOException e) {
            throw new IOException("cannot listen on tcp " + at + ": " + e.getMessage(), e);
        }
    }

    private static InetSocketAddress bindUdp(Transport transport, EventLoopGroup group, InetSocketAddress target,
                                             UdpQueryHandler handler, List<Channel> out) throws IOException {
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor e : group) {
            loops.add((EventLoop) e);
        }
        if (!transport.supportsReusePort()) {
            loops = List.of(loops.getFirst());
        }
        InetSocketAddress at = target;
        for (EventLoop loop : loops) {
            Bootstrap b = new Bootstrap().group(loop).channelFactory(transport.datagramChannelFactory(at.getAddress()))
                    .option(ChannelOption.SO_RCVBUF, UDP_BUFFER)
                    .option(ChannelOption.SO_SNDBUF, UDP_BUFFER)
                    .handler(handler);
            transport.reusePort(b);
            transport.batchDatagramReads(b, MAX_UDP_QUERY, READ_BATCH);
            ChannelFuture f = b.bind(at).awaitUninterruptibly();
            if (!f.isSuccess()) {
                Throwable c = f.cause();
                throw new IOException("cannot listen on udp " + at + ": " + (c.getMessage() != null ? c.getMessage() : c), c);
            }
            out.add(f.channel());
            if (at.getPort() == 0) {
                at = new InetSocketAddress(at.getAddress(), ((InetSocketAddress) f.channel().localAddress()).getPort());
            }
        }
        return at;
    }

    /** One socket and thread per event loop, all on one port with SO_REUSEPORT. */
    private static InetSocketAddress bindBatched(EventLoopGroup group, InetSocketAddress target,
                                                 QueryProcessor processor, Supplier<Rrl> rrl,
                                                 List<BatchedUdpLoop> out) throws IOException {
        int count = 0;
        for (EventExecutor ignored : group) {
            count++;
        }
        InetSocketAddress at = target;
        for (int i = 0; i < count; i++) {
            BatchedUdpLoop loop = BatchedUdpLoop.start(at, true, processor, rrl, i);
            out.add(loop);
            at = loop.localAddress();
        }
        return at;
    }

    /** The address as configured. */
    HostPort requested() {
        return requested;
    }

    /** The address bound (the real port when 0 was asked for). */
    InetSocketAddress localAddress() {
        return bound;
    }

    @Override
    public void close() {
        udp.forEach(Channel::close);
        batched.forEach(BatchedUdpLoop::close);
        udpClaim.close();
        tcp.close();
    }
}
