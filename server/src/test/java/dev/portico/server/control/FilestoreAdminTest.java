package dev.portico.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portico.admin.ssh.ConsoleCommands;
import dev.portico.core.net.Cidr;
import dev.portico.filestore.FilestoreService;
import dev.portico.server.CliRun;
import dev.portico.testing.PorticoExtension;
import dev.portico.testing.RunningService;
import dev.portico.web.WebConfig;
import dev.portico.web.WebServiceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A running file store router in the admin API and the SSH console: its nodes and its counters. */
@Timeout(60)
class FilestoreAdminTest {

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    @TempDir
    Path dir;

    @Test
    void theApiAndTheConsoleShowNodesReadsAndWrites() throws Exception {
        List<String> nodes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            WebConfig c = WebConfig.builder().root(Files.createDirectories(dir.resolve("node" + i))).listen("127.0.0.1:0")
                    .webdav(new WebConfig.WebDav(true, List.of(Cidr.parse("127.0.0.0/8")), Map.of(), "store")).build();
            RunningService node = portico.start(new WebServiceType(), "node" + i, c);
            nodes.add("127.0.0.1:" + node.port());
        }
        Path file = Files.writeString(dir.resolve("portico.yaml"), """
                workers: 1
                state_dir: %s
                admin:
                  listen: 127.0.0.1:0
                  tokens:
                    - {token: reader, role: read}
                services:
                  files:
                    type: filestore
                    listen: [127.0.0.1:0]
                    write_permit: [127.0.0.0/8]
                    nodes: [%s]
                """.formatted(dir.resolve("state"), String.join(", ", nodes)));
        try (HttpClient http = HttpClient.newHttpClient()) {
            CliRun.runChecked(d -> {
                FilestoreService fs = (FilestoreService) d.supervisor().running().getFirst().service();
                String base = "http://127.0.0.1:" + fs.port();
                HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(base + "/_3fs_0/a.txt"))
                        .timeout(Duration.ofSeconds(10)).PUT(HttpRequest.BodyPublishers.ofString("hello")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(put.statusCode()).isBetween(200, 204);
                HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(base + "/_3fs_0/a.txt"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(get.body()).isEqualTo("hello");

                Api reader = new Api(d.admin().baseUrl(), "reader");
                JsonNode view = reader.get("/api/v1/services/files/fs").json();
                assertThat(view.get("reads").asLong()).isEqualTo(1);
                assertThat(view.get("writes").asLong()).isEqualTo(1);
                assertThat(view.get("writes_degraded").asLong()).isZero();
                assertThat(view.get("nodes")).hasSize(3);
                int written = 0;
                for (JsonNode n : view.get("nodes")) {
                    assertThat(nodes).contains(n.get("name").asText());
                    if (n.get("bytes_out").asLong() > 0) {
                        written++;
                    }
                }
                assertThat(written).isEqualTo(2);
                assertThat(reader.get("/api/v1/services/files").json().get("type").asText()).isEqualTo("filestore");

                ConsoleCommands console = new ConsoleCommands(new DaemonControlPlane(d::supervisor, d::save));
                String shown = console.run("show fs").output();
                assertThat(shown).startsWith("files (filestore)\n").contains("reads 1 ", "writes 1 ", "degraded 0");
                for (String n : nodes) {
                    assertThat(shown).contains("    " + n);
                }
                assertThat(console.run("show fs nope").output()).startsWith("error: no service named 'nope'");
                assertThat(shown).contains("  handoff journal 0 records, 0 replays pending\n", "  last check: none\n",
                        "  repair: none\n");
                assertThat(view.get("handoff").get("journal").asLong()).isZero();
                assertThat(view.get("last_check").isNull()).isTrue();

                // one copy lost on disk: repair, started from the console, makes it again
                List<Path> copies = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    Path copy = dir.resolve("node" + i).resolve("_3fs_0/a.txt");
                    if (Files.exists(copy)) {
                        copies.add(copy);
                    }
                }
                assertThat(copies).hasSize(2);
                Files.delete(copies.get(1));
                assertThat(console.run("repair files").output())
                        .isEqualTo("repair of files started; show fs files reports its progress\n");
                await().atMost(Duration.ofSeconds(30)).until(() -> console.run("show fs files").output()
                        .contains("  repair finished: 1/1 findings dealt with, 1 repaired, 0 skipped, 0 failed"));
                assertThat(copies.get(1)).hasContent("hello");
                JsonNode after = reader.get("/api/v1/services/files/fs").json();
                assertThat(after.get("last_check").get("counts").get("missing").asInt()).isEqualTo(1);
                assertThat(after.get("repair").get("repaired").asLong()).isEqualTo(1);
                assertThat(after.get("repair").get("finished").asBoolean()).isTrue();
                assertThat(console.run("show fs files").output()).contains(", problems 1 missing\n");
            }, "serve", "-c", file.toString());
        }
    }
}
