package dev.portico.server.cmd;

import dev.portico.core.net.Cidr;
import dev.portico.filestore.FilestoreService;
import dev.portico.server.CliRun;
import dev.portico.server.Daemon;
import dev.portico.server.Main;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class FsCommandTest {

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    @TempDir
    Path dir;

    @Test
    void locatePrintsTheWhitePapersExample() {
        CliRun r = CliRun.run(Main.builtinTypes(), "fs", "locate", "/_3fs_0/path/to/file", "--node", "10.0.0.1-10:80",
                "--redundancy", "2", "--region", "256");
        assertThat(r.status).as(r.toString()).isZero();
        assertThat(r.out).contains("b4a91649090a2784056565363583d067")
                .contains("copy 1: 10.0.0.7:80  (node 7 of 10 in stage 0)")
                .contains("copy 2: 10.0.0.6:80  (node 6 of 10 in stage 0)");
    }

    @Test
    void locateReadsTheStagesOfAConfigAndCheckRefusesAChangedLayout() throws Exception {
        Path state = dir.resolve("state");
        Path file = dir.resolve("portico.yaml");
        Files.writeString(file, """
                services:
                  files:
                    type: filestore
                    listen: [127.0.0.1:0]
                    state_dir: %s
                    pools:
                      "*":
                        stages:
                          - {stage: 0, nodes: [10.0.0.1-10:80]}
                          - {stage: 1, nodes: [10.0.1.1:80, 10.0.1.2:80]}
                """.formatted(state));
        CliRun old = CliRun.run(Main.builtinTypes(), "fs", "locate", "http://any.host/_3fs_0/path/to/file", "-c",
                file.toString());
        assertThat(old.status).as(old.toString()).isZero();
        assertThat(old.out).contains("files: /_3fs_0/path/to/file").contains("copy 1: 10.0.0.7:80");
        CliRun stageless = CliRun.run(Main.builtinTypes(), "fs", "locate", "/_3fs/path/to/file", "-c", file.toString());
        assertThat(stageless.out).contains("/_3fs_1/path/to/file").contains("in stage 1");
        CliRun missing = CliRun.run(Main.builtinTypes(), "fs", "locate", "/_3fs_7/x", "-c", file.toString());
        assertThat(missing.status).isNotZero();
        assertThat(missing.err).contains("no stage 7");

        assertThat(CliRun.run(Main.builtinTypes(), "check", "-c", file.toString()).status).isZero();
        Files.createDirectories(state.resolve("filestore"));
        Files.writeString(state.resolve("filestore/files.state"),
                "redundancy 2\nregion 256\nstage * 0 10.0.0.1:80 10.0.0.2:80\n");
        CliRun check = CliRun.run(Main.builtinTypes(), "check", "-c", file.toString());
        assertThat(check.status).isNotZero();
        assertThat(check.out + check.err).contains("portico.yaml:2").contains("stage 0 had nodes 10.0.0.1:80, 10.0.0.2:80")
                .contains("new stage");
    }

    @Test
    void serveStoresAFileOnTwoNodes() throws Exception {
        List<Path> roots = List.of(Files.createDirectories(dir.resolve("a")), Files.createDirectories(dir.resolve("b")));
        List<String> nodes = new java.util.ArrayList<>();
        for (Path root : roots) {
            RunningService n = portico.start(new WebServiceType(), root.getFileName().toString(), WebConfig.builder().root(root)
                    .listen("127.0.0.1:0").webdav(new WebConfig.WebDav(true, List.of(Cidr.parse("127.0.0.0/8")),
                            Map.of(), "store")).build());
            nodes.add("127.0.0.1:" + n.port());
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CliRun r = CliRun.run(Main.builtinTypes(), (Daemon d) -> {
            try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
                FilestoreService fs = (FilestoreService) d.supervisor().running().getFirst().service();
                URI url = URI.create("http://127.0.0.1:" + fs.port() + "/_3fs/hello.txt");
                HttpResponse<String> put = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                        .PUT(HttpRequest.BodyPublishers.ofString("hi")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(put.statusCode()).isEqualTo(201);
                assertThat(put.headers().firstValue("location")).hasValue("/_3fs_0/hello.txt");
                assertThat(put.headers().firstValue("x-copies")).hasValue("2/2");
                for (Path root : roots) {
                    assertThat(root.resolve("_3fs_0/hello.txt")).hasContent("hi");
                }
                assertThat(http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("hi");
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                d.requestStop();
            }
        }, "fs", "serve", "--listen", "127.0.0.1:0", "--node", nodes.get(0), "--node", nodes.get(1),
                "--redundancy", "2", "--state-dir", dir.resolve("state").toString(), "--admin", "off", "--workers", "1");
        assertThat(failure.get()).as(r.toString()).isNull();
        assertThat(r.status).as(r.toString()).isZero();
        assertThat(dir.resolve("state/filestore/filestore.state")).content().contains("stage * 0 " + nodes.stream()
                .sorted().reduce((x, y) -> x + " " + y).orElseThrow());
    }

    /** Two WebDAV nodes and a config whose filestore service keeps its state under the top-level state_dir. */
    private List<Path> twoNodeStore(Path file, Path state) throws Exception {
        List<Path> roots = List.of(Files.createDirectories(dir.resolve("a")), Files.createDirectories(dir.resolve("b")));
        List<String> nodes = new java.util.ArrayList<>();
        for (Path root : roots) {
            RunningService n = portico.start(new WebServiceType(), root.getFileName().toString(), WebConfig.builder()
                    .root(root).listen("127.0.0.1:0").webdav(new WebConfig.WebDav(true,
                            List.of(Cidr.parse("127.0.0.0/8")), Map.of(), "store")).build());
            nodes.add("127.0.0.1:" + n.port());
        }
        Files.writeString(file, """
                state_dir: %s
                services:
                  files:
                    type: filestore
                    listen: [127.0.0.1:0]
                    nodes: [%s, %s]
                """.formatted(state, nodes.get(0), nodes.get(1)));
        return roots;
    }

    @Test
    void checkFindsAMissingCopyAndRepairMakesIt() throws Exception {
        Path state = Files.createDirectories(dir.resolve("top-state"));
        Path file = dir.resolve("portico.yaml");
        List<Path> roots = twoNodeStore(file, state);
        for (Path root : roots) {
            Files.createDirectories(root.resolve("_3fs_0/docs"));
            Files.writeString(root.resolve("_3fs_0/docs/both.txt"), "on both");
        }
        Files.writeString(roots.get(0).resolve("_3fs_0/docs/one.txt"), "on one");

        CliRun check = CliRun.run(Main.builtinTypes(), "fs", "check", "-c", file.toString(), "--json");
        assertThat(check.status).as(check.toString()).isEqualTo(1);
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(check.out);
        assertThat(json.get("files").asInt()).isEqualTo(2);
        assertThat(json.get("counts").get("MISSING").asInt()).isEqualTo(1);
        assertThat(json.get("problems").get(0).get("uri").asText()).isEqualTo("/_3fs_0/docs/one.txt");
        // the result is kept under the config's top-level state_dir, where the service looks for it
        assertThat(state.resolve("filestore/files.check.json")).exists();

        CliRun repair = CliRun.run(Main.builtinTypes(), "fs", "repair", "-c", file.toString(), "--rate", "100/s");
        assertThat(repair.status).as(repair.toString()).isZero();
        assertThat(repair.out).contains("missing /_3fs_0/docs/one.txt: copied from").contains("1 repaired");
        assertThat(roots.get(1).resolve("_3fs_0/docs/one.txt")).hasContent("on one");
        assertThat(state.resolve("filestore/files.repair.json")).exists();

        CliRun clean = CliRun.run(Main.builtinTypes(), "fs", "check", "-c", file.toString());
        assertThat(clean.status).as(clean.toString()).isZero();
        assertThat(clean.out).contains("files: 2 files, 4 copies on 2 nodes, 0 missing");

        CliRun badRate = CliRun.run(Main.builtinTypes(), "fs", "repair", "-c", file.toString(), "--rate", "fast");
        assertThat(badRate.status).isEqualTo(2);
        assertThat(badRate.err).contains("--rate 'fast' is not a rate such as 50/s");
    }

    @Test
    void checkReadsTheLayoutUnderTheTopLevelStateDir() throws Exception {
        Path state = Files.createDirectories(dir.resolve("top-state"));
        Path file = dir.resolve("portico.yaml");
        Files.writeString(file, """
                state_dir: %s
                services:
                  files:
                    type: filestore
                    listen: [127.0.0.1:0]
                    nodes: [10.0.0.1:80, 10.0.0.2:80]
                """.formatted(state));
        assertThat(CliRun.run(Main.builtinTypes(), "check", "-c", file.toString()).status).isZero();
        Files.createDirectories(state.resolve("filestore"));
        Files.writeString(state.resolve("filestore/files.state"),
                "redundancy 2\nregion 256\nstage * 0 10.0.0.1:80 10.0.0.3:80\n");
        CliRun check = CliRun.run(Main.builtinTypes(), "check", "-c", file.toString());
        assertThat(check.status).as(check.toString()).isNotZero();
        assertThat(check.err).contains("stage 0 had nodes 10.0.0.1:80, 10.0.0.3:80");
        CliRun locate = CliRun.run(Main.builtinTypes(), "fs", "locate", "/_3fs_0/x", "-c", file.toString());
        assertThat(locate.err).contains("stage 0 had nodes 10.0.0.1:80, 10.0.0.3:80");
    }
}
