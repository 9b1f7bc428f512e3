package dev.portico.proxy;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.net.HostPort;
import dev.portico.core.transport.Transport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** Runs a {@link ProxyService} on two real event loops in front of loopback {@link Origin}s. */
final class ProxyHarness implements AutoCloseable {

    final Transport transport = Transport.select(null);
    final EventLoopGroup group = transport.newGroup(2, "test-proxy");
    final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final ServiceContext context;
    final List<Origin> origins = new ArrayList<>();
    ProxyService proxy;

    ProxyHarness() {
        this(Clock.systemUTC());
    }

    /** A harness whose services read time from {@code clock} (cache ages). */
    ProxyHarness(Clock clock) {
        context = new ServiceContext(transport, group, meters, clock, blocking);
    }

    /** A harness whose services keep their state (ACME account and certificates) in {@code stateDir}. */
    ProxyHarness(java.nio.file.Path stateDir) {
        context = new ServiceContext(transport, group, meters, Clock.systemUTC(), blocking,
                dev.portico.core.limits.DescriptorBudget.of(dev.portico.core.limits.FileLimit.read(),
                        dev.portico.core.limits.DescriptorBudget.DEFAULT_ADMIN_CONNECTIONS, 1), stateDir);
    }

    /** A config builder on a free loopback port with short timeouts. */
    static ProxyConfig.Builder config() {
        return ProxyConfig.builder().listen(HostPort.parse("127.0.0.1:0"))
                .connectTimeout(Duration.ofSeconds(2)).firstByteTimeout(Duration.ofSeconds(5));
    }

    static PoolSpec pool(String scheduler, Origin... backends) {
        return new PoolSpec(java.util.Arrays.stream(backends).map(o -> HostPort.parse(o.address())).toList(), scheduler,
                dev.portico.upstream.health.HealthCheckConfig.parse("none"));
    }

    Origin origin(String name, Origin.Script script) throws IOException {
        Origin o = Origin.start(name, script);
        origins.add(o);
        return o;
    }

    Origin named(String name) throws IOException {
        Origin o = Origin.named(name);
        origins.add(o);
        return o;
    }

    ProxyHarness start(ProxyConfig config) throws IOException {
        proxy = new ProxyService("test", config, context);
        proxy.start();
        return this;
    }

    /** Starts with a disk tier opener for {@code cache.dir}. */
    ProxyHarness start(ProxyConfig config, dev.portico.proxy.cache.SecondTierFactory disk) throws IOException {
        proxy = new ProxyService("test", config, context, disk);
        proxy.start();
        return this;
    }

    /** A client connection to the proxy. */
    Client client() throws IOException {
        return new Client(new Socket(InetAddress.getLoopbackAddress(), proxy.port()));
    }

    /** One GET on a fresh connection. */
    Http.Response get(String host, String path, String... extraHeaders) throws IOException {
        try (Client c = client()) {
            return c.get(host, path, extraHeaders);
        }
    }

    /** A blocking client connection. */
    static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream in;

        Client(Socket socket) throws IOException {
            this.socket = socket;
            socket.setSoTimeout(20_000);
            this.in = new BufferedInputStream(socket.getInputStream());
        }

        void send(String raw) throws IOException {
            socket.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
        }

        Http.Response get(String host, String path, String... extraHeaders) throws IOException {
            StringBuilder sb = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
            for (String h : extraHeaders) {
                sb.append(h).append("\r\n");
            }
            send(sb.append("\r\n").toString());
            return Http.response(in, false);
        }

        Http.Response read(boolean head) throws IOException {
            return Http.response(in, head);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Override
    public void close() throws Exception {
        if (proxy != null) {
            proxy.stop(Duration.ZERO);
        }
        for (Origin o : origins) {
            o.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        blocking.shutdownNow();
    }
}
