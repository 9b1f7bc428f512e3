package dev.portico.upstream;

import dev.portico.core.net.HostPort;
import dev.portico.core.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Backend addresses for event loops: literals parsed once, names looked up only on the executor. */
class BackendAddressesTest {

    private final List<Runnable> tasks = new ArrayList<>();
    private final BackendAddresses addresses = new BackendAddresses(tasks::add);
    private final AtomicInteger told = new AtomicInteger();

    @Test
    void ipLiteralsAreParsedOnceAndNeedNoLookup() {
        HostPort v4 = HostPort.parse("127.0.0.1:8080");
        InetSocketAddress a = addresses.resolve(v4, 0, told::incrementAndGet);
        assertThat(a.isUnresolved()).isFalse();
        assertThat(a.getPort()).isEqualTo(8080);
        assertThat(addresses.resolve(v4, 1, told::incrementAndGet)).isSameAs(a);
        assertThat(addresses.literal(HostPort.parse("[::1]:53")).getAddress().isLoopbackAddress()).isTrue();
        assertThat(addresses.literal(HostPort.parse("localhost:53")).isUnresolved()).isTrue();
        assertThat(tasks).isEmpty();
        assertThat(told).hasValue(0);
    }

    @Test
    void aNameIsLookedUpOffTheCallingThreadFirstAndAgainInTheBackgroundWhileItsLastAddressServes() {
        HostPort name = HostPort.parse("localhost:8080");

        // First ask: nothing known yet, one lookup queued for however many connections wait.
        assertThat(addresses.resolve(name, 0, told::incrementAndGet)).isNull();
        assertThat(addresses.resolve(name, 0, told::incrementAndGet)).isNull();
        assertThat(tasks).hasSize(1);
        assertThat(told).hasValue(0);
        tasks.removeFirst().run();
        assertThat(told).hasValue(2);
        long looked = System.nanoTime();
        InetSocketAddress first = addresses.resolve(name, looked, told::incrementAndGet);
        assertThat(first.isUnresolved()).isFalse();
        assertThat(first.getAddress().isLoopbackAddress()).isTrue();

        // Fresh: used as is, nothing looked up.
        assertThat(addresses.resolve(name, looked + BackendAddresses.REFRESH_NANOS / 2, told::incrementAndGet)).isSameAs(first);
        assertThat(tasks).isEmpty();

        // Stale: still served, and one lookup is queued however often it is asked for meanwhile.
        long stale = looked + BackendAddresses.REFRESH_NANOS + 1_000_000_000L;
        assertThat(addresses.resolve(name, stale, told::incrementAndGet)).isSameAs(first);
        assertThat(addresses.resolve(name, stale + 1, told::incrementAndGet)).isSameAs(first);
        assertThat(tasks).hasSize(1);
        tasks.getFirst().run();
        InetSocketAddress again = addresses.resolve(name, System.nanoTime(), told::incrementAndGet);
        assertThat(again.getAddress().isLoopbackAddress()).isTrue();
        assertThat(again).isNotSameAs(first);
        assertThat(tasks).hasSize(1);
        assertThat(told).hasValue(2);
    }

    @Test
    void aNameThatDoesNotResolveTellsItsWaitersAndIsTriedAgainLater() {
        HostPort name = HostPort.parse("no-such-host.invalid:8080");
        assertThat(addresses.resolve(name, 0, told::incrementAndGet)).isNull();
        tasks.removeFirst().run();
        assertThat(told).hasValue(1);
        long now = System.nanoTime();
        assertThat(addresses.resolve(name, now, told::incrementAndGet).isUnresolved()).isTrue();
        assertThat(tasks).isEmpty();
        assertThat(addresses.resolve(name, now + BackendAddresses.RETRY_NANOS + 1_000_000_000L, told::incrementAndGet)
                .isUnresolved()).isTrue();
        assertThat(tasks).hasSize(1);
    }

    @Test
    void aRejectingExecutorFailsTheWaitersAtOnce() {
        BackendAddresses closing = new BackendAddresses(r -> {
            throw new java.util.concurrent.RejectedExecutionException("shut down");
        });
        HostPort name = HostPort.parse("localhost:8080");
        assertThat(closing.resolve(name, 0, told::incrementAndGet)).isNull();
        assertThat(told).hasValue(1);
        assertThat(closing.resolve(name, 1, told::incrementAndGet).isUnresolved()).isTrue();
    }

    /**
     * A connect from the event loop goes out before control returns to the loop. Bootstrap left
     * it to a task: meanwhile the loop went on through the epoll events it had already collected,
     * and an event of a connection closed a moment earlier (a killed backend resets them all at
     * once), whose file descriptor number the new socket had just taken, made the unconnected new
     * channel read, fail and close. The connect then failed with a ClosedChannelException that
     * marked the other, healthy backend down.
     */
    @Test
    @Timeout(10)
    void aConnectToALiteralIsIssuedBeforeTheLoopPollsAgain() throws Exception {
        Transport transport = Transport.select(null);
        EventLoopGroup group = transport.newGroup(1, "addresses-test");
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            EventLoop loop = group.next();
            AtomicBoolean connectIssued = new AtomicBoolean();
            Bootstrap bootstrap = new Bootstrap().group(loop).channel(transport.socketChannel())
                    .handler(new ChannelOutboundHandlerAdapter() {
                        @Override
                        public void connect(ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local,
                                            ChannelPromise promise) {
                            connectIssued.set(true);
                            ctx.connect(remote, local, promise);
                        }
                    });
            HostPort target = HostPort.of((InetSocketAddress) server.getLocalSocketAddress());
            ChannelFuture connect = loop.submit(() -> {
                ChannelFuture f = addresses.connect(bootstrap, target, Duration.ofSeconds(5));
                assertThat(connectIssued).as("connect issued before connect() returned to the loop").isTrue();
                return f;
            }).get(5, TimeUnit.SECONDS);
            assertThat(connect.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(connect.cause()).isNull();
            connect.channel().close().await(5, TimeUnit.SECONDS);
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }
}
