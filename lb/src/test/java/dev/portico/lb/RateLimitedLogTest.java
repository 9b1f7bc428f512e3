package dev.portico.lb;

import dev.portico.testing.LogCapture;
import ch.qos.logback.classic.Level;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The "no backend" warning is logged at most once a second per service, with a count of the skipped ones. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RateLimitedLogTest {

    private final LbHarness h = new LbHarness();

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    @Test
    void oneLinePerIntervalAndTheNextOneCountsTheSkippedOnes() {
        AtomicLong now = new AtomicLong();
        try (LogCapture logs = new LogCapture("test.ratelimited", Level.WARN)) {
            RateLimitedLog rl = new RateLimitedLog(LoggerFactory.getLogger("test.ratelimited"), Duration.ofSeconds(1),
                    now::get);
            for (int i = 0; i < 5; i++) {
                rl.warn("no backend for {}", i);
            }
            assertThat(logs.messages(Level.WARN)).containsExactly("no backend for 0");
            assertThat(rl.suppressed()).isEqualTo(4);
            now.addAndGet(Duration.ofMillis(999).toNanos());
            rl.warn("no backend for {}", 5);
            assertThat(logs.messages(Level.WARN)).hasSize(1);
            now.addAndGet(Duration.ofMillis(1).toNanos());
            rl.warn("no backend for {}", 6);
            assertThat(logs.messages(Level.WARN)).containsExactly("no backend for 0",
                    "no backend for 6 (5 similar suppressed)");
            now.addAndGet(Duration.ofSeconds(5).toNanos());
            rl.warn("no backend for {}", 7);
            assertThat(logs.messages(Level.WARN)).last().isEqualTo("no backend for 7");
            now.addAndGet(Duration.ofSeconds(5).toNanos());
            rl.warn("no backend for client {}", new java.net.InetSocketAddress("127.0.0.1", 40000));
            assertThat(logs.messages(Level.WARN)).last().isEqualTo("no backend for client 127.0.0.1:40000");
        }
    }

    @Test
    void aStormOfUnplaceableClientsLogsAboutOneLineASecond() throws Exception {
        String dead1 = "127.0.0.1:" + TestBackend.deadPort();
        String dead2 = "127.0.0.1:" + TestBackend.deadPort();
        try (LogCapture logs = new LogCapture(LbService.class)) {
            h.start(LbHarness.config().backend(dead1).backend(dead2)
                    .health(HealthCheckConfig.builder(HealthCheckType.NONE).build()).build());
            long start = System.nanoTime();
            for (int i = 0; i < 40; i++) {
                try (Socket s = h.connect()) {
                    assertThat(s.getInputStream().read()).isEqualTo(-1);
                }
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertThat(h.lb.metrics().noBackendTotal()).isEqualTo(40);
            assertThat(noBackendLines(logs)).hasSizeBetween(1, (int) seconds + 1);

            // A second later the next failure is logged again, with the count of those skipped.
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200)).until(() -> {
                try (Socket s = h.connect()) {
                    s.getInputStream().read();
                }
                return noBackendLines(logs).stream().anyMatch(l -> l.matches(".*\\(\\d+ similar suppressed\\)"));
            });
        }
    }

    private static java.util.List<String> noBackendLines(LogCapture logs) {
        return logs.messages(Level.WARN).stream().filter(l -> l.contains("no backend for client")).toList();
    }
}
