package dev.portico.core.transport;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The native transport in use: epoll where the kernel allows it, else io_uring, else NIO (io_uring
 * first when asked for; see docs/decisions.md for the measurement behind the order). It
 * hands out event loop groups and the channel classes that go with them, so no other code needs
 * to know which one was picked.
 */
public final class Transport {

    /** The transports Portico knows. */
    public enum Kind {
        IO_URING, EPOLL, NIO;

        /** The order {@code auto} tries them in: measured fastest first on this workload. */
        static final Kind[] AUTO_ORDER = {EPOLL, IO_URING, NIO};

        /** Parses "io_uring", "epoll", "nio" or "auto" (null). */
        public static Kind parse(String text) {
            return switch (text.toLowerCase(Locale.ROOT).replace('-', '_')) {
                case "io_uring", "iouring", "uring" -> IO_URING;
                case "epoll" -> EPOLL;
                case "nio" -> NIO;
                case "auto" -> null;
                default -> throw new IllegalArgumentException("'" + text + "' is not a transport (auto, io_uring, epoll, nio)");
            };
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Kind kind;
    private final List<String> skipped;
    private final ListenAddresses listening = new ListenAddresses();

    private Transport(Kind kind, List<String> skipped) {
        this.kind = kind;
        this.skipped = List.copyOf(skipped);
    }

    /**
     * Picks the best available transport, or the preferred one when it is available.
     *
     * @param preferred null for automatic choice
     */
    public static Transport select(Kind preferred) {
        List<String> skipped = new ArrayList<>();
        if (preferred != null) {
            String why = unavailability(preferred);
            if (why == null) {
                return new Transport(preferred, skipped);
            }
            skipped.add(preferred + " (" + why + ")");
        }
        for (Kind k : Kind.AUTO_ORDER) {
            String why = unavailability(k);
            if (why == null) {
                return new Transport(k, skipped);
            }
            if (k != preferred) {
                skipped.add(k + " (" + why + ")");
            }
        }
        throw new IllegalStateException("no transport available");
    }

    private static String unavailability(Kind k) {
        try {
            return switch (k) {
                case IO_URING -> IoUring.isAvailable() ? null : String.valueOf(IoUring.unavailabilityCause());
                case EPOLL -> Epoll.isAvailable() ? null : String.valueOf(Epoll.unavailabilityCause());
                case NIO -> null;
            };
        } catch (Throwable t) {
            return t.toString();
        }
    }

    public Kind kind() {
        return kind;
    }

    /** Transports that were tried before this one and why they could not be used. */
    public List<String> skipped() {
        return skipped;
    }

    /** A one-line description for the start-up banner. */
    public String describe() {
        return skipped.isEmpty() ? kind.toString() : kind + " (skipped: " + String.join("; ", skipped) + ")";
    }

    public IoHandlerFactory ioHandlerFactory() {
        return switch (kind) {
            case IO_URING -> IoUringIoHandler.newFactory();
            case EPOLL -> EpollIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
        };
    }

    /** A group of {@code threads} event loops named after {@code name}. */
    public EventLoopGroup newGroup(int threads, String name) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), ioHandlerFactory());
    }

    public Class<? extends ServerChannel> serverChannel() {
        return switch (kind) {
            case IO_URING -> IoUringServerSocketChannel.class;
            case EPOLL -> EpollServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
    }

    public Class<? extends SocketChannel> socketChannel() {
        return switch (kind) {
            case IO_URING -> IoUringSocketChannel.class;
            case EPOLL -> EpollSocketChannel.class;
            case NIO -> NioSocketChannel.class;
        };
    }

    public Class<? extends DatagramChannel> datagramChannel() {
        return switch (kind) {
            case IO_URING -> IoUringDatagramChannel.class;
            case EPOLL -> EpollDatagramChannel.class;
            case NIO -> NioDatagramChannel.class;
        };
    }

    /**
     * Makes datagram sockets of the family of {@code local}: an IPv4 address gets an AF_INET
     * socket rather than a dual-stack IPv6 one, which spares the kernel and Netty the mapped
     * address conversions on every datagram in and out.
     *
     * @param local the address the sockets will bind
     */
    public ChannelFactory<DatagramChannel> datagramChannelFactory(InetAddress local) {
        SocketProtocolFamily family = local instanceof Inet4Address ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        return switch (kind) {
            case IO_URING -> () -> new IoUringDatagramChannel(family);
            case EPOLL -> () -> new EpollDatagramChannel(family);
            case NIO -> () -> new NioDatagramChannel(family);
        };
    }

    /**
     * The addresses the listeners on this transport hold, and the check that no other process
     * holds an address before a listener binds it.
     */
    public ListenAddresses listening() {
        return listening;
    }

    /** True when several sockets may bind one port and the kernel spreads connections. */
    public boolean supportsReusePort() {
        return kind != Kind.NIO;
    }

    /** Sets SO_REUSEPORT on a bootstrap where the transport has it. */
    public void reusePort(AbstractBootstrap<?, ?> bootstrap) {
        switch (kind) {
            case IO_URING -> bootstrap.option(IoUringChannelOption.SO_REUSEPORT, true);
            case EPOLL -> bootstrap.option(EpollChannelOption.SO_REUSEPORT, true);
            case NIO -> {
            }
        }
    }

    /**
     * Lets a datagram socket read up to {@code batch} datagrams of at most {@code maxPayload}
     * bytes each in one system call where the transport can (epoll's {@code recvmmsg}); replies
     * flushed together already leave in one {@code sendmmsg}. A datagram longer than
     * {@code maxPayload} is cut to that length, so pick it above anything the protocol sends.
     * Elsewhere nothing changes.
     *
     * @param bootstrap  the datagram bootstrap
     * @param maxPayload the largest datagram expected
     * @param batch      datagrams per read call, at least 1
     */
    public void batchDatagramReads(AbstractBootstrap<?, ?> bootstrap, int maxPayload, int batch) {
        if (kind == Kind.EPOLL && batch > 1) {
            bootstrap.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, maxPayload);
            bootstrap.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(maxPayload * batch));
        }
    }

    /** The TCP_CORK option of this transport, or null where it has none. */
    public ChannelOption<Boolean> tcpCork() {
        return switch (kind) {
            case IO_URING -> IoUringChannelOption.TCP_CORK;
            case EPOLL -> EpollChannelOption.TCP_CORK;
            case NIO -> null;
        };
    }

    @Override
    public String toString() {
        return kind.toString();
    }
}
