package dev.portico.proxy;

import dev.portico.core.net.HostPort;
import dev.portico.upstream.Backend;
import dev.portico.upstream.BackendAddresses;
import dev.portico.upstream.health.HealthCheckConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** New upstream connections. */
class UpstreamConnectionsTest {

    /**
     * A socket channel whose first instance is closed on this side just before its connect goes
     * out, as a stray epoll event of an earlier connection that had the same file descriptor
     * number closes it under load.
     */
    public static final class ClosedOnceChannel extends NioSocketChannel {
        static final AtomicInteger CLOSED = new AtomicInteger();

        public ClosedOnceChannel() {
        }

        @Override
        public ChannelFuture connect(SocketAddress remote) {
            closeTheFirst();
            return super.connect(remote);
        }

        @Override
        public ChannelFuture connect(SocketAddress remote, ChannelPromise promise) {
            closeTheFirst();
            return super.connect(remote, promise);
        }

        private void closeTheFirst() {
            if (CLOSED.compareAndSet(0, 1)) {
                close();
            }
        }
    }

    @Test
    @Timeout(10)
    void aConnectClosedOnThisSideBeforeItWentOutIsMadeOnceMoreNotFailed() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            HostPort address = HostPort.parse("127.0.0.1:" + server.getLocalPort());
            ProxyConfig config = ProxyHarness.config()
                    .pool("*", new PoolSpec(List.of(address), "roundrobin", HealthCheckConfig.parse("none"))).build();
            UpstreamConnections connections = new UpstreamConnections(ClosedOnceChannel.class, config,
                    new BackendAddresses(Runnable::run));
            Backend backend = Backend.builder(address).build();
            EventLoop loop = group.next();
            Future<Channel> connect = loop.submit(() -> connections.connect(loop, backend)).get(5, TimeUnit.SECONDS);
            assertThat(connect.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(ClosedOnceChannel.CLOSED).hasValue(1);
            assertThat(connect.cause()).as("the connect's failure").isNull();
            assertThat(connect.getNow().isActive()).isTrue();
            assertThat(connections.opened()).isEqualTo(2);
            connect.getNow().close().await(5, TimeUnit.SECONDS);
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }
}
