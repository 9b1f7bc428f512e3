package dev.portico.upstream.health;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;

import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Where network probes run: the caller's event loop group and socket channel type (NIO, epoll or
 * io_uring, whatever the rest of the process uses), plus an executor for blocking calls: the ICMP
 * probe, and the lookups of backends given by name.
 *
 * @param group            event loops for probe connections and check timers
 * @param channelFactory   creates client socket channels matching the group's transport
 * @param blockingExecutor runs {@link java.net.InetAddress#isReachable(int)} and name lookups, which block
 */
public record ProbeTransport(EventLoopGroup group, ChannelFactory<? extends Channel> channelFactory,
                             Executor blockingExecutor) {

    /** Validates the components. */
    public ProbeTransport {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(channelFactory, "channelFactory");
        Objects.requireNonNull(blockingExecutor, "blockingExecutor");
    }

    /**
     * A transport whose blocking calls each run on a new virtual thread.
     *
     * @param group        event loops
     * @param channelClass client socket channel class matching the group, e.g.
     *                     {@code NioSocketChannel.class}
     * @return the transport
     */
    public static ProbeTransport of(EventLoopGroup group, Class<? extends Channel> channelClass) {
        return new ProbeTransport(group, new ReflectiveChannelFactory<>(channelClass),
                task -> Thread.ofVirtual().name("portico-probe-blocking").start(task));
    }
}
