package dev.portico.filestore;

import dev.portico.testing.PorticoExtension;
import dev.portico.testing.RunningService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What the admin API shows of a router: node traffic and health, and the request counters. */
@Timeout(60)
class FilestoreStatusTest {

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    @TempDir
    Path dir;

    @Test
    void nodesCountTheirBytesAndClosedConnections() throws Exception {
        StoreHarness store = new StoreHarness(portico).nodes(dir, 3);
        RunningService router = store.start(store.router(dir.resolve("state")).build());
        FilestoreService fs = (FilestoreService) router.service();
        String body = "x".repeat(10_000);
        for (int i = 0; i < 5; i++) {
            assertThat(store.send(router, "PUT", "/_3fs_0/f" + i + ".txt", body).statusCode()).isBetween(200, 204);
        }
        // sequential writes take turns on one kept connection per node: none is counted twice
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            for (FilestoreStatus.Node n : fs.status().nodes()) {
                assertThat(n.backend().stats().open()).as(n.name()).isBetween(0L, 1L);
            }
        });
        long out = fs.status().nodes().stream().mapToLong(n -> n.backend().stats().bytesOut()).sum();
        assertThat(out).isGreaterThanOrEqualTo(2L * 5 * body.length());
        assertThat(store.send(router, "GET", "/_3fs_0/f0.txt", null).body()).isEqualTo(body);
        FilestoreStatus st = fs.status();
        assertThat(st.reads()).isEqualTo(1);
        assertThat(st.writesComplete()).isEqualTo(5);
        assertThat(st.writes()).isEqualTo(5);
        assertThat(st.nodes()).hasSize(3);
        assertThat(st.nodes().stream().mapToLong(n -> n.backend().stats().bytesIn()).sum()).isGreaterThan(body.length());
        assertThat(st.nodes().stream().filter(n -> n.latencyNanos() > 0)).hasSize(1);
    }
}
