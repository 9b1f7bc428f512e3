package dev.portico.core.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Inputs that hit the YAML parser's limits rather than its grammar (found by the config fuzz
 * target), and files that are not UTF-8: config errors with the file and the line like any other.
 */
class YamlLoaderLimitsTest {

    private final YamlLoader loader = new YamlLoader();

    @TempDir
    Path dir;

    @Test
    void nestingDeeperThanTheParserAllowsNamesItsLine() throws Exception {
        Path file = dir.resolve("deep.yaml");
        Files.writeString(file, "services:\n  a: " + "[".repeat(1200) + "\n");
        assertThatThrownBy(() -> loader.load(file))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
                        .satisfies(p -> {
                            assertThat(p.where().file()).isEqualTo(file.toString());
                            assertThat(p.where().line()).isEqualTo(2);
                            assertThat(p.message()).startsWith("YAML nested deeper than 1000 levels");
                        }));
    }

    @Test
    void aFileThatIsNotUtf8NamesTheLineOfTheFirstBadByte() throws Exception {
        Path file = dir.resolve("latin1.yaml");
        Files.write(file, new byte[] {'a', ':', ' ', '1', '\n', 'b', ':', ' ', 'c', 'a', 'f', (byte) 0xe9, '\n'});
        assertThatThrownBy(() -> loader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + ":2:7: not UTF-8 (byte 0xe9); save the file as UTF-8");
    }

    @Test
    void theSameFromText() {
        assertThatThrownBy(() -> loader.load("[".repeat(1200), "t.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("t.yaml:1:");
    }
}
