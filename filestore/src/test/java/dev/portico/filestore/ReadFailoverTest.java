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
                    assertThat(r.statusCode()).as(mode.name()).isEqualTo(200);
                    assertThat(r.body()).isEqualTo("the copy");
                }
            }
            assertThat(broken.requests()).isPositive();
        }
    }
}
