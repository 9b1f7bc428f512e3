package dev.portico.server.config;

import dev.portico.admin.AdminRole;
import dev.portico.admin.AdminServer;
import dev.portico.core.config.ConfigException;
import dev.portico.core.net.HostPort;
import dev.portico.core.transport.Transport;
import dev.portico.server.TestTypes;
import dev.portico.testing.EchoConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerConfigReaderTest {

    private final ServerConfigReader reader = new ServerConfigReader(TestTypes.all());

    @Test
    void readsEveryTopLevelKey() throws Exception {
        ServerConfig c = reader.read("""
                workers: 3
                transport: nio
                log_level: WARN
                admin:
                  listen: 127.0.0.1:9999
                  token: abc
                access_log: /tmp/access.log
                shutdown_grace: 1500ms
                services:
                  one:
                    type: echo
                    listen: 127.0.0.1:7001
                    prefix: "> "
                  two:
                    type: static-echo
                    listen: :7002
                """, "p.yaml");

        assertThat(c.source()).isEqualTo("p.yaml");
        assertThat(c.workers()).isEqualTo(3);
        assertThat(c.transport()).isEqualTo(Transport.Kind.NIO);
        assertThat(c.logLevel()).isEqualTo("warn");
        assertThat(c.admin()).isEqualTo(new AdminSettings(true, new HostPort("127.0.0.1", 9999),
                List.of(AdminSettings.TokenSpec.inline("abc", AdminRole.WRITE)), null, null));
        assertThat(c.accessLog()).isEqualTo("/tmp/access.log");
        assertThat(c.shutdownGrace()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.services()).containsOnlyKeys("one", "two");
        assertThat(c.services().get("one").config()).isEqualTo(new EchoConfig(new HostPort("127.0.0.1", 7001), "> "));
        assertThat(c.services().get("one").location().line()).isEqualTo(10);
        assertThat(c.services().get("two").type().name()).isEqualTo("static-echo");
    }

    @Test
    void defaults() throws Exception {
        ServerConfig c = reader.read("services:\n  e:\n    type: echo\n    listen: 7000\n", "d.yaml");
        assertThat(c.workers()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(c.transport()).isNull();
        assertThat(c.logLevel()).isEqualTo("info");
        assertThat(c.admin()).isEqualTo(AdminSettings.at(AdminServer.DEFAULT_LISTEN));
        assertThat(c.accessLog()).isNull();
        assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void userAndGroup(@TempDir Path dir) throws Exception {
        ServerConfig c = reader.read("user: nobody\ngroup: root\nservices:\n  s: {type: web, root: " + dir + "}\n", "u.yaml");
        assertThat(c.runAs()).isEqualTo(new RunAs("nobody", "root"));
        assertThat(reader.read("services:\n  e: {type: echo, listen: 7000}\n", "n.yaml").runAs().enabled()).isFalse();

        ServerConfig again = reader.read(new ConfigYaml().write(c), "again.yaml");
        assertThat(again.runAs()).isEqualTo(c.runAs());
    }

    @Test
    void aGroupWithoutAUserAndUnknownNamesAreProblemsAtTheirLines() {
        assertThatThrownBy(() -> reader.read("group: root\nservices:\n  e: {type: echo, listen: 7000}\n", "g.yaml"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).map(Object::toString)
                        .containsExactly("g.yaml:1:8: 'group' needs 'user': name the user to switch to as well"));
        assertThatThrownBy(() -> reader.read("user: nobody\ngroup: no-such-group-here\nservices:\n"
                + "  e: {type: echo, listen: 7000}\n", "x.yaml"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).map(Object::toString)
                        .containsExactly("x.yaml:2:8: group 'no-such-group-here' does not exist"));
    }

    @Test
    void adminOff() throws Exception {
        ServerConfig c = reader.read("admin: off\nservices:\n  e: {type: echo, listen: 7000}\n", "a.yaml");
        assertThat(c.admin().enabled()).isFalse();
    }

    @Test
    void tokenFromAFile(@TempDir Path dir) throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "  s3cret\n");
        ServerConfig c = reader.read("admin:\n  token_file: " + token + "\nservices:\n  e: {type: echo, listen: 7000}\n", "t.yaml");
        assertThat(c.admin().tokens()).containsExactly(AdminSettings.TokenSpec.file(token, AdminRole.WRITE));
    }

    @Test
    void aRelativeTokenFileIsReadBesideTheConfigFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("admin.token"), "s3cret\n");
        Path cfg = Files.writeString(dir.resolve("portico.yaml"),
                "admin:\n  token_file: admin.token\nservices:\n  e: {type: echo, listen: 7000}\n");
        ServerConfig c = reader.read(cfg);
        assertThat(c.admin().tokens()).containsExactly(AdminSettings.TokenSpec.file(dir.resolve("admin.token"), AdminRole.WRITE));
    }

    @Test
    void readAndWriteTokensAndAutosave(@TempDir Path dir) throws Exception {
        ServerConfig c = reader.read("""
                admin:
                  token: main
                  tokens:
                    - {token: look, role: read}
                    - {token_file: %s, role: write}
                  autosave: 5m
                services:
                  e: {type: echo, listen: 7000}
                """.formatted(dir.resolve("ops.token")), "t.yaml");
        assertThat(c.admin().tokens()).containsExactly(
                AdminSettings.TokenSpec.inline("main", AdminRole.WRITE),
                AdminSettings.TokenSpec.inline("look", AdminRole.READ),
                AdminSettings.TokenSpec.file(dir.resolve("ops.token"), AdminRole.WRITE));
        assertThat(c.admin().autosave()).isEqualTo(Duration.ofMinutes(5));
        assertThatThrownBy(() -> reader.read("admin:\n  tokens: [{role: read}]\n  autosave: 10ms\nservices:\n"
                + "  e: {type: echo, listen: 7000}\n", "r.yaml"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).map(Object::toString)
                        .containsExactlyInAnyOrder(
                                "r.yaml:2:12: 'config.admin.tokens[0]' needs 'token' or 'token_file'",
                                "r.yaml:3:13: 'config.admin.autosave' must be at least 1s"));
    }

    @Test
    void adminTlsAcmeIsValidatedThroughTlsAlpn01AndWrittenBack(@TempDir Path dir) throws Exception {
        ServerConfig c = reader.read("""
                admin:
                  listen: 127.0.0.1:8443
                  tls:
                    acme: {directory: "https://acme.test/dir", names: [admin.example.test]}
                services:
                  s: {type: web, root: %s}
                """.formatted(dir), "a.yaml");
        assertThat(c.admin().acme().names()).containsExactly("admin.example.test");
        assertThat(c.admin().acme().challenges()).containsExactly(dev.portico.acme.ChallengeType.TLS_ALPN_01);
        assertThat(c.admin().tls().selfSigned()).as("a stand-in until the first certificate arrives").isTrue();
        assertThat(reader.read(new ConfigYaml().write(c), "again.yaml").admin()).isEqualTo(c.admin());

        assertThatThrownBy(() -> reader.read("""
                admin:
                  tls:
                    acme:
                      directory: "https://acme.test/dir"
                      names: ["*.example.test"]
                      challenges: [tls-alpn-01, http-01]
                services:
                  e: {type: echo, listen: 7000}
                """, "r.yaml"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).map(Object::toString)
                        .satisfiesExactlyInAnyOrder(
                                p -> assertThat(p).startsWith("r.yaml:5:").contains("*.example.test").contains("DNS-01"),
                                p -> assertThat(p).startsWith("r.yaml:6:").contains("'config.admin.tls.acme.challenges' lists "
                                        + "http-01, but the admin endpoint has no plain listener")));
    }

    @Test
    void adminConnectionAndBodyLimits() throws Exception {
        ServerConfig c = reader.read("admin:\n  max_connections: 16\n  max_body: 64k\nservices:\n"
                + "  e: {type: echo, listen: 7000}\n", "t.yaml");
        assertThat(c.admin().limits()).isEqualTo(new AdminSettings.Limits(16, 64 * 1024));
        ServerConfig d = reader.read("services:\n  e: {type: echo, listen: 7000}\n", "d.yaml");
        assertThat(d.admin().limits()).isEqualTo(new AdminSettings.Limits(64, 1 << 20));
        assertThatThrownBy(() -> reader.read("admin:\n  max_connections: 0\nservices:\n"
                + "  e: {type: echo, listen: 7000}\n", "r.yaml"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
                        .asString().startsWith("r.yaml:2:20:").contains("max_connections"));
    }

    @Test
    void unknownKeysAtEveryLevelWithSuggestions() {
        assertThatThrownBy(() -> reader.read("""
                wokers: 2
                admin:
                  listn: 127.0.0.1:1
                services:
                  e:
                    type: echo
                    listen: 7000
                    prefx: a
                """, "u.yaml"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).map(Object::toString)
                        .containsExactlyInAnyOrder(
                                "u.yaml:1:1: unknown key 'wokers' in 'config'; did you mean 'workers'?",
                                "u.yaml:3:3: unknown key 'listn' in 'config.admin'; did you mean 'listen'?",
                                "u.yaml:8:5: unknown key 'prefx' in 'services.e'; did you mean 'prefix'?"));
    }

    @Test
    void badValuesAreAllReportedWithTheirPlace() {
        assertThatThrownBy(() -> reader.read("""
                workers: 0
                transport: epol
                shutdown_grace: soon
                admin:
                  listen: nowhere
                  token: a
                  token_file: /nonexistent/token
                services:
                  e:
                    type: ecko
                  f:
                    listen: 7000
                  bad name:
                    type: echo
                """, "b.yaml"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).map(Object::toString)
                        .containsExactlyInAnyOrder(
                                "b.yaml:1:10: bad 'config.workers': 0 is out of range (1 to 4096)",
                                "b.yaml:2:12: bad 'config.transport': 'epol' is not one of [auto, io_uring, epoll, nio];"
                                        + " did you mean 'epoll'?",
                                "b.yaml:3:17: bad 'config.shutdown_grace': 'soon' is not a duration (examples: 500ms, 30s, 5m, 2h, 7d)",
                                "b.yaml:5:11: bad 'config.admin.listen': 'nowhere' is not HOST:PORT: 'nowhere' is not a port number",
                                "b.yaml:7:15: 'admin' takes 'token' or 'token_file', not both",
                                "b.yaml:10:11: unknown service type 'ecko'; did you mean 'echo'? (this build knows: echo, static-echo, web, dns)",
                                "b.yaml:12:5: 'services.f' needs 'type'",
                                "b.yaml:13:3: service name 'bad name' must start with a letter or digit and hold only letters,"
                                        + " digits, '_', '.' and '-'"));
    }

    @Test
    void servicesAreRequired() {
        assertThatThrownBy(() -> reader.read("workers: 1\n", "n.yaml"))
                .hasMessage("n.yaml:1:1: no services: add a 'services:' mapping with at least one service");
        assertThatThrownBy(() -> reader.read("services: {}\n", "n.yaml"))
                .hasMessage("n.yaml:1:11: 'services' is empty: add at least one service");
        assertThatThrownBy(() -> reader.read("services: [a]\n", "n.yaml"))
                .hasMessage("n.yaml:1:11: 'config.services' must be a mapping, not a list");
    }

    @Test
    void emptyTokenFileIsAProblemAndAMissingOneIsCreatedLater(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertThatThrownBy(() -> reader.read("admin: {token_file: " + empty + "}\nservices:\n  e: {type: echo, listen: 1}\n", "x.yaml"))
                .hasMessageStartingWith("x.yaml:1:21: admin token file '" + empty + "' is empty");
        ServerConfig c = reader.read("admin: {token_file: /nonexistent/t}\nservices:\n  e: {type: echo, listen: 1}\n", "x.yaml");
        assertThat(c.admin().tokens()).containsExactly(AdminSettings.TokenSpec.file(Path.of("/nonexistent/t"), AdminRole.WRITE));
    }

    @Test
    void missingFileAndSyntaxErrors(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> reader.read(dir.resolve("none.yaml")))
                .hasMessage(dir.resolve("none.yaml") + ": no such file");
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "services:\n  e: [\n");
        assertThatThrownBy(() -> reader.read(bad))
                .hasMessageStartingWith(bad + ":2:7: YAML syntax error");
    }
}
