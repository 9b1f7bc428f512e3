package dev.portico.lb;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.transport.Transport;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** Runs an {@link LbService} on two real event loops, with blocking clients for the tests. */
final class LbHarness implements AutoCloseable {

    /** Fast checks so tests see health changes within a second. */
    static final HealthCheckConfig FAST_TCP = HealthCheckConfig.builder(HealthCheckType.TCP)
            .interval(Duration.ofMillis(100)).timeout(Duration.ofMillis(500)).rise(2).fall(1)
            .downInterval(Duration.ofMillis(50)).allDownInterval(Duration.ofMillis(50)).build();

    final Transport transport = Transport.select(null);
    final EventLoopGroup group = transport.newGroup(2, "test-lb");
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final GatedExecutor blocking = new GatedExecutor();
    final ServiceContext context = new ServiceContext(transport, group, meters, Clock.systemUTC(), blocking);
    final List<TestBackend> backends = new ArrayList<>();
    LbService lb;

    /** From now on, blocking tasks (backends' name lookups) wait until the harness closes. */
    LbHarness holdLookups() {
        blocking.held = true;
        return this;
    }

    LbHarness start(LbConfig config) throws IOException {
        lb = new LbService("test", config, context);
        lb.start();
        return this;
    }

    /** A config builder listening on a free loopback port with fast health checks. */
    static LbConfig.Builder config() {
        return LbConfig.builder().listen("127.0.0.1:0").health(FAST_TCP);
    }

    TestBackend backend(String name, TestBackend.Mode mode) throws IOException {
        TestBackend b = TestBackend.start(name, mode);
        backends.add(b);
        return b;
    }

    Socket connect() throws IOException {
        return connect(lb.port());
    }

    static Socket connect(int port) throws IOException {
        Socket s = new Socket(TestBackend.LOOPBACK, port);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Reads one line, without the newline; null at end of stream. */
    static String readLine(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                return sb.isEmpty() ? null : sb.toString();
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    static void send(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** One full echo exchange: returns the name of the backend that answered. */
    String roundTrip() throws IOException {
        try (Socket s = connect()) {
            String name = readLine(s);
            if (name == null) {
                throw new IOException("closed before the backend's greeting");
            }
            send(s, "ping\n");
            String echo = readLine(s);
            if (!"ping".equals(echo)) {
                throw new IOException("echo was " + echo);
            }
            s.shutdownOutput();
            String bye = readLine(s);
            if (!"bye".equals(bye)) {
                throw new IOException("expected bye, got " + bye);
            }
            if (s.getInputStream().read() != -1) {
                throw new IOException("expected end of stream");
            }
            return name;
        }
    }

    @Override
    public void close() throws Exception {
        if (lb != null) {
            lb.stop(Duration.ZERO);
        }
        for (TestBackend b : backends) {
            b.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        blocking.shutdownNow();
    }

    /** Runs each task on a virtual thread; while {@link #held}, a task waits for the shutdown first. */
    static final class GatedExecutor extends AbstractExecutorService {
        private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        private final CountDownLatch shutdown = new CountDownLatch(1);
        volatile boolean held;

        @Override
        public void execute(Runnable task) {
            boolean wait = held;
            threads.execute(() -> {
                if (wait) {
                    try {
                        shutdown.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return;
                }
                task.run();
            });
        }

        @Override
        public void shutdown() {
            shutdown.countDown();
            threads.shutdown();
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown.countDown();
            return threads.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
            return threads.isShutdown();
        }

        @Override
        public boolean isTerminated() {
            return threads.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return threads.awaitTermination(timeout, unit);
        }
    }
}
