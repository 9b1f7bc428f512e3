package dev.portico.server.config;

import dev.portico.server.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class ConfigYamlTest {

    @TempDir
    Path dir;

    private final ServerConfigReader reader = new ServerConfigReader(Main.builtinTypes());

    private ServerConfig read(String name, String text) throws Exception {
        return reader.read(Files.writeString(dir.resolve(name), text));
    }

    @Test
    void parseWriteParseGivesAnEqualConfig() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        ServerConfig c = read("a.yaml", """
                workers: 3
                transport: nio
                log_level: warn
                admin:
                  listen: 127.0.0.1:9999
                  tokens:
                    - {token: abc, role: write}
                    - {token_file: %s, role: read}
                  autosave: 90s
                  max_connections: 16
                  max_body: 64k
                access_log: stdout
                shutdown_grace: 1500ms
                services:
                  front:
                    type: lb
                    listen: [127.0.0.1:8000]
                    groups:
                      main: [10.0.0.1:80, {address: 10.0.0.2:80, weight: 4}]
                      spare: [10.0.1.1:80]
                    active_group: spare
                    scheduler: maglev
                    timeouts: {idle: 30s}
                  site:
                    type: web
                    listen: 127.0.0.1:8080
                    root: www
                    gzip: {enabled: true}
                """.formatted(dir.resolve("viewer.token")));
        String yaml = new ConfigYaml().write(c);
        ServerConfig again = read("b.yaml", yaml);

        assertThat(again.workers()).isEqualTo(c.workers());
        assertThat(again.transport()).isEqualTo(c.transport());
        assertThat(again.logLevel()).isEqualTo(c.logLevel());
        assertThat(again.admin()).isEqualTo(c.admin());
        assertThat(again.accessLog()).isEqualTo(c.accessLog());
        assertThat(again.shutdownGrace()).isEqualTo(c.shutdownGrace());
        assertThat(again.services().keySet()).containsExactly("front", "site");
        c.services().forEach((name, spec) -> assertThat(again.services().get(name).config()).isEqualTo(spec.config()));
        assertThat(new ConfigYaml().write(again)).isEqualTo(yaml);
    }

    @Test
    void adminOffAndDefaultsStayShort() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        ServerConfig c = read("c.yaml", "admin: off\nservices:\n  s: {type: web, root: www}\n");
        assertThat(new ConfigYaml().write(c)).isEqualTo("""
                admin: "off"
                services:
                  s:
                    type: web
                    listen:
                      - 127.0.0.1:8080
                    root: %s
                """.formatted(dir.resolve("www")));
        assertThat(read("d.yaml", new ConfigYaml().write(c)).admin().enabled()).isFalse();
    }
}
