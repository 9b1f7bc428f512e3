package dev.portico.server.config;

import dev.portico.core.config.ConfigException;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.server.TestTypes;
import dev.portico.server.control.AdminTokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The top-level {@code state_dir}: read, written back, and where the generated admin token goes. */
@Timeout(30)
class StateDirTest {

    private final ServerConfigReader reader = new ServerConfigReader(TestTypes.all());

    @Test
    void defaultsToDotPorticoInTheHomeDirectory(@TempDir Path dir) throws Exception {
        ServerConfig c = reader.read("services:\n  w: {type: web, root: " + dir + ", listen: 127.0.0.1:8080}\n", "d.yaml");
        assertThat(c.stateDir()).isEqualTo(Path.of(System.getProperty("user.home"), ".portico"));
        assertThat(new ConfigYaml().write(c)).doesNotContain("state_dir");
    }

    @Test
    void relativeToTheConfigFileAndWrittenBack(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("portico.yaml");
        Files.writeString(file, "state_dir: state\nservices:\n  w: {type: web, root: " + dir + ", listen: 127.0.0.1:8080}\n");
        ServerConfig c = reader.read(file);
        assertThat(c.stateDir()).isEqualTo(dir.resolve("state"));
        ServerConfig again = reader.read(new ConfigYaml().write(c), "again.yaml");
        assertThat(again.stateDir()).isEqualTo(dir.resolve("state"));
        assertThat(reader.read("state_dir: ~/x\nservices:\n  e: {type: echo, listen: 7000}\n", "h.yaml").stateDir())
                .isEqualTo(Path.of(System.getProperty("user.home"), "x"));
    }

    @Test
    void aFileIsNotAStateDirectory(@TempDir Path dir) throws Exception {
        Path plain = Files.writeString(dir.resolve("plain"), "x");
        assertThatThrownBy(() -> reader.read("state_dir: " + plain + "\nservices:\n  e: {type: echo, listen: 7000}\n", "f.yaml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("f.yaml:1:12: state_dir '" + plain + "' is not a directory");
    }

    @Test
    void theGeneratedAdminTokenLivesUnderIt(@TempDir Path dir) throws Exception {
        var resolved = new AdminTokens().resolve(AdminSettings.at(dev.portico.admin.AdminServer.DEFAULT_LISTEN), dir);
        assertThat(resolved.getFirst().file()).isEqualTo(dir.resolve("admin.token"));
        assertThat(Files.readString(dir.resolve("admin.token")).strip()).isEqualTo(resolved.getFirst().secret());
        assertThat(ServiceContext.defaultStateDir()).isEqualTo(Path.of(System.getProperty("user.home"), ".portico"));
    }
}
