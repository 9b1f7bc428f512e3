package dev.portico.server.cmd;

import dev.portico.server.CliRun;
import dev.portico.server.Daemon;
import dev.portico.server.TestTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class DemoCommandTest {

    @TempDir
    Path dir;

    @Test
    void extractsEveryListedFile() throws Exception {
        Path root = DemoCommand.extract(dir.resolve("site"));
        assertThat(DemoCommand.files()).contains("index.html", "style.css", "docs/large.txt");
        for (String f : DemoCommand.files()) {
            assertThat(root.resolve(f)).isRegularFile();
        }
        assertThat(Files.readString(root.resolve("index.html"))).contains("<title>Portico demo</title>");
        assertThat(Files.size(root.resolve("docs/large.txt"))).isGreaterThan(32 * 1024);
    }

    @Test
    void servesTheSiteWithGzipAndPrintsTheUrls() {
        AtomicReference<TestTypes.FakeWebConfig> seen = new AtomicReference<>();
        CliRun r = CliRun.run(TestTypes.all(), (Daemon d) -> {
            seen.set((TestTypes.FakeWebConfig) d.supervisor().running().getFirst().spec().config());
            d.requestStop();
        }, "demo", "--dir", dir.resolve("demo").toString(), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0");

        assertThat(r.status).as(r.toString()).isZero();
        assertThat(seen.get().gzip()).isTrue();
        assertThat(Path.of(seen.get().root())).isEqualTo(dir.resolve("demo"));
        assertThat(dir.resolve("demo/index.html")).isRegularFile();
        assertThat(r.out).contains("Demo site: " + dir.resolve("demo"), "Open tcp://127.0.0.1:", "in a browser.",
                "Metrics: http://127.0.0.1:");
        assertThat(DemoCommand.DEFAULT_LISTEN).isEqualTo("127.0.0.1:8080");
    }
}
