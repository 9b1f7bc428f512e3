package dev.portico.filestore;

import dev.portico.testing.PorticoExtension;
import dev.portico.testing.RunningService;
import dev.portico.testing.fault.FaultyBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** A replica that answers 503, hangs or resets costs no read: the other copy answers. */
@Timeout(60)
class ReadFailoverTest {

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    @TempDir
    Path dir;

    @Test
    void readsReuseNodeConnectionsAndSurviveANodeClosingThem() throws Exception {
        StoreHarness store = new StoreHarness(portico);
        try (FaultyBackend one = FaultyBackend.start("one"); FaultyBackend two = FaultyBackend.start("two")) {
            TreeMap<Integer, List<String>> stages = new TreeMap<>();
            stages.put(0, List.of(one.address(), two.address()));
            RunningService router = store.start(store.router(dir.resolve("state")).pool(new StorePool("*", stages, 0))
                    .health(dev.portico.upstream.health.HealthCheckConfig.parse("none")).build());
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> r = store.send(router, "GET", "/_3fs_0/f.txt", null);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isIn("one", "two");
            }
            // one connection per node at most for 20 sequential reads (two loops: at most two each)
            assertThat(one.connections() + two.connections()).isLessThanOrEqualTo(4);
            // the nodes drop their idle connections: the next reads open new ones, and no read fails
            one.keepAliveTimeout(Duration.ofMillis(1));
            two.keepAliveTimeout(Duration.ofMillis(1));
            for (int i = 0; i < 6; i++) {
                assertThat(store.send(router, "GET", "/_3fs_0/f.txt", null).statusCode()).isEqualTo(200);
            }
        }
    }

    @Test
    void aBrokenReplicaIsPassedOver() throws Exception {
        StoreHarness store = new StoreHarness(portico).nodes(dir, 1);
        Files.createDirectories(store.roots.get(0).resolve("_3fs_0"));
        Files.writeString(store.roots.get(0).resolve("_3fs_0/f.txt"), "the copy");
        try (FaultyBackend broken = FaultyBackend.start("broken")) {
            TreeMap<Integer, List<String>> stages = new TreeMap<>();
            stages.put(0, List.of(store.node(0), broken.address()));
            RunningService router = store.start(store.router(dir.resolve("state")).pool(new StorePool("*", stages, 0))
                    .responseTimeout(Duration.ofMillis(500)).build());
            for (FaultyBackend.Mode mode : List.of(FaultyBackend.Mode.UNAVAILABLE, FaultyBackend.Mode.HANG,
                    FaultyBackend.Mode.RESET_AFTER_HEAD)) {
                broken.mode(mode);
                for (int i = 0; i < 6; i++) {
                    HttpResponse<String> r = store.send(router, "GET", "/_3fs_0/f.txt", null);
                    assertThat(r.statusCode()).as(mode.name() + " " + r.body()).isEqualTo(200);
                    assertThat(r.body()).isEqualTo("the copy");
                }
            }
            assertThat(broken.requests()).isPositive();
        }
    }

    @Test
    void aHangingReplicaIsPassedOverByTheIdleTimerWhenItIsTheShorter() throws Exception {
        StoreHarness store = new StoreHarness(portico).nodes(dir, 1);
        Files.createDirectories(store.roots.get(0).resolve("_3fs_0"));
        Files.writeString(store.roots.get(0).resolve("_3fs_0/f.txt"), "the copy");
        try (FaultyBackend broken = FaultyBackend.start("broken")) {
            broken.mode(FaultyBackend.Mode.HANG);
            TreeMap<Integer, List<String>> stages = new TreeMap<>();
            stages.put(0, List.of(store.node(0), broken.address()));
            // no response timer per request: the idle timer (1 s) ends a call to the hanging node
            RunningService router = store.start(store.router(dir.resolve("state")).pool(new StorePool("*", stages, 0))
                    .responseTimeout(Duration.ofSeconds(60)).idleTimeout(Duration.ofSeconds(1)).build());
            for (int i = 0; i < 4; i++) {
                HttpResponse<String> r = store.send(router, "GET", "/_3fs_0/f.txt", null);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("the copy");
            }
            assertThat(broken.requests()).isPositive();
        }
    }
}
