package dev.portico.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portico.lb.LbConfig;
import dev.portico.upstream.AdminState;
import dev.portico.web.WebConfig;
import dev.portico.server.CliRun;
import dev.portico.server.Daemon;
import dev.portico.server.Main;
import dev.portico.server.config.ConfigSaver;
import dev.portico.server.config.ConfigYaml;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServerConfigReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class SaveTest {

    @TempDir
    Path dir;

    private final ServerConfigReader reader = new ServerConfigReader(Main.builtinTypes());

    private Path config(String autosave, NamedBackend... backends) throws Exception {
        Files.createDirectories(dir.resolve("www"));
        StringBuilder hosts = new StringBuilder();
        for (NamedBackend b : backends) {
            hosts.append(hosts.isEmpty() ? "" : ", ").append(b.address());
        }
        return Files.writeString(dir.resolve("portico.yaml"), """
                # comments are not kept by save
                workers: 1
                admin:
                  listen: 127.0.0.1:0
                  tokens:
                    - {token: writer, role: write}
                    - {token: reader, role: read}
                %s
                services:
                  front:
                    type: lb
                    listen: [127.0.0.1:0]
                    groups:
                      main: [%s]
                  site:
                    type: web
                    listen: 127.0.0.1:0
                    root: www
                """.formatted(autosave, hosts));
    }

    private static Api api(Daemon d, String token) {
        return new Api(d.admin().baseUrl(), token);
    }

    private Stream<Path> backups(Path file) throws Exception {
        return Files.list(dir).filter(p -> p.getFileName().toString().startsWith(file.getFileName() + "-"));
    }

    @Test
    void relativePathsStayRelativeToTheConfigFile() throws Exception {
        try (NamedBackend one = new NamedBackend("one")) {
            Path file = config("", one);
            ServerConfig read = reader.read(file);
            ServerConfig changed = new ServerConfig(read.source(), 3, read.transport(), read.logLevel(), read.admin(),
                    read.accessLog(), read.shutdownGrace(), read.services(), read.listenHandover());
            ConfigSaver.Result r = new ConfigSaver(reader, Clock.systemUTC()).save(file, changed);
            assertThat(r.written()).isTrue();
            String saved = Files.readString(file);
            assertThat(saved).contains("workers: 3", "    root: www\n").doesNotContain(dir.toString());
            assertThat(((WebConfig) reader.read(file).services().get("site").config()).root())
                    .isEqualTo(dir.resolve("www"));
            assertThat(new ConfigSaver(reader, Clock.systemUTC()).save(file, changed).written())
                    .as("nothing changed since").isFalse();
        }
    }

    @Test
    void savesOnlyWhenTheRunningConfigDiffersAndKeepsABackup() throws Exception {
        try (NamedBackend one = new NamedBackend("one"); NamedBackend two = new NamedBackend("two")) {
            Path file = config("", one);
            String original = Files.readString(file);
            CliRun.runChecked(d -> {
                Api writer = api(d, "writer");
                Api.Answer unchanged = writer.post("/api/v1/save", null);
                assertThat(unchanged.status()).isEqualTo(200);
                assertThat(unchanged.json().get("written").asBoolean()).isFalse();
                assertThat(Files.readString(file)).isEqualTo(original);

                assertThat(api(d, "reader").post("/api/v1/save", null).status()).isEqualTo(403);
                assertThat(writer.post("/api/v1/services/front/groups/main/hosts",
                        "{\"address\":\"" + two.address() + "\",\"weight\":3}").status()).isEqualTo(201);
                assertThat(writer.post("/api/v1/services/front/groups/main/hosts/" + one.address() + "/drain", null)
                        .status()).isEqualTo(200);
                JsonNode saved = writer.post("/api/v1/save", null).json();
                assertThat(saved.get("written").asBoolean()).isTrue();
                Path backup = Path.of(saved.get("backup").asText());
                assertThat(Files.readString(backup)).isEqualTo(original);
                assertThat(backup.getFileName().toString()).matches("portico\\.yaml-\\d{14}");

                ServerConfig reread = reader.read(file);
                LbConfig lb = (LbConfig) reread.services().get("front").config();
                assertThat(lb.groups().get("main")).extracting(LbConfig.BackendSpec::name, LbConfig.BackendSpec::weight,
                                LbConfig.BackendSpec::state)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple(one.address(), 1, AdminState.DRAINING),
                                org.assertj.core.groups.Tuple.tuple(two.address(), 3, AdminState.ENABLED));
                assertThat(new ConfigYaml().write(reread)).isEqualTo(new ConfigYaml().write(d.runningConfig()));
                assertThat(Files.readString(file)).doesNotContain("# comments");

                assertThat(writer.post("/api/v1/save", null).json().get("written").asBoolean()).isFalse();
                assertThat(backups(file)).hasSize(1);
                try (Stream<Path> left = Files.list(dir)) {
                    assertThat(left.filter(p -> p.toString().endsWith(".tmp"))).isEmpty();
                }
            }, "serve", "-c", file.toString());
        }
    }

    @Test
    void autosaveWritesChangesMadeThroughTheApi() throws Exception {
        try (NamedBackend one = new NamedBackend("one"); NamedBackend two = new NamedBackend("two")) {
            Path file = config("  autosave: 1s", one, two);
            CliRun.runChecked(d -> {
                assertThat(api(d, "writer").call("DELETE", "/api/v1/services/front/groups/main/hosts/"
                        + two.address(), null).status()).isEqualTo(200);
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    LbConfig lb = (LbConfig) reader.read(file).services().get("front").config();
                    assertThat(lb.groups().get("main")).extracting(LbConfig.BackendSpec::name)
                            .containsExactly(one.address());
                });
                assertThat(Files.readString(file)).contains("autosave: 1s");
            }, "serve", "-c", file.toString());
        }
    }
}
