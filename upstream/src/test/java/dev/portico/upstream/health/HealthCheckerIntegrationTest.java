package dev.portico.upstream.health;

import com.sun.net.httpserver.HttpServer;
import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.HostPort;
import dev.portico.upstream.Pool;
import dev.portico.upstream.scheduler.Schedulers;
import dev.portico.upstream.scheduler.SelectionContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A real checker on a real event loop against backends that go away and come back. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HealthCheckerIntegrationTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final Duration WAIT = Duration.ofSeconds(10);

    private EventLoopGroup group;
    private ProbeTransport transport;
    private final Pool pool = Pool.create("it");
    private final List<String> changes = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        transport = ProbeTransport.of(group, NioSocketChannel.class);
        pool.addHealthListener((backend, from, to, reason) -> changes.add(from + "->" + to + ": " + reason));
    }

    @AfterEach
    void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static HealthCheckConfig.Builder fast(HealthCheckType type) {
        return HealthCheckConfig.builder(type).interval(Duration.ofMillis(100)).timeout(Duration.ofMillis(500))
                .downInterval(Duration.ofMillis(50)).allDownInterval(Duration.ofMillis(30)).rise(2).fall(1);
    }

    @Test
    void tcpBackendGoesDownWhenItStopsListeningAndUpWhenItReturns() throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(LOOPBACK, 0));
        int port = server.getLocalPort();
        Backend backend = Backend.builder(new HostPort(LOOPBACK.getHostAddress(), port)).build();
        pool.add(backend);
        try (HealthChecker checker = HealthChecker.create(pool, fast(HealthCheckType.TCP).build(), transport)) {
            checker.start();
            await().atMost(WAIT).until(() -> backend.health() == HealthState.UP);

            server.close();
            await().atMost(WAIT).until(() -> backend.health() == HealthState.DOWN);
            await().atMost(WAIT).until(checker::aggressive);
            assertThat(pool.eligible()).isEmpty();

            try (ServerSocket again = new ServerSocket()) {
                again.setReuseAddress(true);
                again.bind(new InetSocketAddress(LOOPBACK, port));
                await().atMost(WAIT).until(() -> backend.health() == HealthState.UP);
                assertThat(checker.aggressive()).isFalse();
                assertThat(Schedulers.roundRobin().select(pool, SelectionContext.empty())).containsSame(backend);
            }
        }
        assertThat(changes).anyMatch(c -> c.startsWith("UP->DOWN: check failed 1/1: tcp connect to"))
                .anyMatch(c -> c.startsWith("DOWN->UP: check passed 2/2"));
    }

    @Test
    void passivelyFailedHttpBackendReturnsThroughActiveChecks() throws IOException {
        AtomicInteger status = new AtomicInteger(200);
        HttpServer http = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
        http.createContext("/health", exchange -> {
            exchange.sendResponseHeaders(status.get(), -1);
            exchange.close();
        });
        http.start();
        try {
            Backend backend = Backend.builder(new HostPort(LOOPBACK.getHostAddress(), http.getAddress().getPort()))
                    .build();
            pool.add(backend);
            HealthCheckConfig config = fast(HealthCheckType.HTTP).path("/health").expect("200").build();
            try (HealthChecker checker = HealthChecker.create(pool, config, transport)) {
                checker.start();
                await().atMost(WAIT).until(() -> backend.health() == HealthState.UP);

                status.set(500);
                backend.onConnectStart();
                backend.onConnectFailed("connection reset by peer");
                assertThat(backend.health()).isEqualTo(HealthState.DOWN);
                // Active checks now get 500 every 50ms, so the backend must stay down.
                await().during(Duration.ofMillis(400)).atMost(WAIT)
                        .until(() -> backend.health() == HealthState.DOWN);

                status.set(200);
                await().atMost(WAIT).until(() -> backend.health() == HealthState.UP);
            }
        } finally {
            http.stop(0);
        }
        assertThat(changes).contains("UP->DOWN: connect failed: connection reset by peer");
    }
}
