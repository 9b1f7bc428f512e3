package dev.portico.lb;

import dev.portico.testing.LogCapture;
import ch.qos.logback.classic.Level;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * 10,000 connections through the balancer, 100 at a time: afterwards the process's file
 * descriptors and Netty's direct memory are back to their baseline, and paranoid leak detection
 * (set for every test run in the build) reports nothing.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TenThousandConnectionsTest {

    private static final int TOTAL = 10_000;
    private static final int CONCURRENT = 100;
    /** Descriptors that may come and go on their own (JIT, GC, class loading, the health probe in flight). */
    private static final long FD_TOLERANCE = 8;
    /** Direct memory the allocator may keep in its caches and chunks beyond the warmed-up baseline. */
    private static final long DIRECT_TOLERANCE = 8L << 20;

    private final LbHarness h = new LbHarness();

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /** Netty's direct memory: its own counter when it keeps one, else the default allocator's metric. */
    static long directMemory() {
        long counted = PlatformDependent.usedDirectMemory();
        if (counted >= 0) {
            return counted;
        }
        return ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory();
    }

    private void run(int connections) throws Exception {
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int done = 0; done < connections; done += CONCURRENT) {
                List<Future<String>> batch = new ArrayList<>(CONCURRENT);
                for (int i = 0; i < Math.min(CONCURRENT, connections - done); i++) {
                    batch.add(clients.submit(h::roundTrip));
                }
                for (Future<String> f : batch) {
                    assertThat(f.get(30, TimeUnit.SECONDS)).isIn("a", "b");
                }
            }
        }
    }

    @Test
    void fileDescriptorsAndDirectMemoryReturnToBaselineAndNothingLeaks() throws Exception {
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        TestBackend b = h.backend("b", TestBackend.Mode.ECHO);
        try (LogCapture leaks = new LogCapture("io.netty.util.ResourceLeakDetector", Level.ERROR)) {
            h.start(LbHarness.config().backend(a.address()).backend(b.address()).build());
            run(1_000);
            await().until(() -> h.lb.openConnections() == 0);
            long fdBaseline = openFds();
            long directBaseline = directMemory();

            long start = System.nanoTime();
            run(TOTAL);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(h.lb.metrics().acceptedTotal()).isEqualTo(1_000 + TOTAL);
            assertThat(h.lb.metrics().noBackendTotal()).isZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> h.lb.openConnections() == 0
                    && h.lb.backend("main", a.address()).stats().open() == 0
                    && h.lb.backend("main", b.address()).stats().open() == 0);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> openFds() <= fdBaseline + FD_TOLERANCE);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> directMemory() <= directBaseline + DIRECT_TOLERANCE);

            // Leaks are reported when a leaked buffer is collected and the next buffer is tracked.
            System.gc();
            for (int i = 0; i < 100; i++) {
                ByteBuf probe = ByteBufAllocator.DEFAULT.directBuffer(64);
                probe.release();
            }
            assertThat(leaks.messages(Level.ERROR)).as("leak reports").noneMatch(m -> m.contains("LEAK"));
            System.out.printf("10,000 connections in %d ms; fds %d -> %d; direct memory %d -> %d bytes%n",
                    took.toMillis(), fdBaseline, openFds(), directBaseline, directMemory());
        }
    }
}
