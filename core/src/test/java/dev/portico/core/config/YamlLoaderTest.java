package dev.portico.core.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class YamlLoaderTest {

    private final YamlLoader loader = new YamlLoader();

    @Test
    void nodesKeepLineAndColumn() throws Exception {
        ConfigNode root = loader.load("""
                workers: 4
                services:
                  site:
                    listen: [127.0.0.1:80, ":81"]
                    gzip: {enabled: true}
                """, "p.yaml");

        ConfigNode.MapNode top = (ConfigNode.MapNode) root;
        assertThat(top.location()).isEqualTo(new Location("p.yaml", 1, 1));
        assertThat(top.keyLocation("workers")).isEqualTo(new Location("p.yaml", 1, 1));
        assertThat(top.entries().get("workers").location()).isEqualTo(new Location("p.yaml", 1, 10));
        assertThat(((ConfigNode.ScalarNode) top.entries().get("workers")).text()).isEqualTo("4");

        ConfigNode.MapNode site = (ConfigNode.MapNode) ((ConfigNode.MapNode) top.entries().get("services")).entries().get("site");
        assertThat(site.keyLocation("listen")).isEqualTo(new Location("p.yaml", 4, 5));
        ConfigNode.ListNode listen = (ConfigNode.ListNode) site.entries().get("listen");
        assertThat(listen.items()).hasSize(2);
        assertThat(listen.items().get(1).location()).isEqualTo(new Location("p.yaml", 4, 28));
        assertThat(((ConfigNode.ScalarNode) listen.items().get(1)).text()).isEqualTo(":81");
        assertThat(site.entries().get("gzip").kind()).isEqualTo("a mapping");
    }

    @Test
    void keysKeepFileOrder() throws Exception {
        ConfigNode.MapNode m = (ConfigNode.MapNode) loader.load("b: 1\na: 2\nc: 3\n", "o.yaml");
        assertThat(m.entries().keySet()).containsExactly("b", "a", "c");
    }

    @Test
    void emptyValuesAreNullScalarsAndEmptyDocumentsEmptyMaps() throws Exception {
        ConfigNode.MapNode m = (ConfigNode.MapNode) loader.load("a:\nb: ~\n", "n.yaml");
        assertThat(((ConfigNode.ScalarNode) m.entries().get("a")).text()).isNull();
        assertThat(((ConfigNode.ScalarNode) m.entries().get("b")).text()).isNull();
        ConfigNode empty = loader.load("", "e.yaml");
        assertThat(empty).isInstanceOf(ConfigNode.MapNode.class);
        assertThat(((ConfigNode.MapNode) empty).entries()).isEmpty();
    }

    @Test
    void duplicateKeysAreErrorsNamingBothPlaces() {
        assertThatThrownBy(() -> loader.load("a: 1\nb: 2\na: 3\n", "d.yaml"))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.problems()).hasSize(1);
                    assertThat(e.problems().getFirst().where()).isEqualTo(new Location("d.yaml", 3, 1));
                    assertThat(e.getMessage()).isEqualTo("d.yaml:3:1: duplicate key 'a' (first at line 1)");
                });
    }

    @Test
    void syntaxErrorsHaveAPlace() {
        assertThatThrownBy(() -> loader.load("a: [1, 2\nb: 3\n", "s.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageMatching("s\\.yaml:\\d+:\\d+: YAML syntax error: .*");
    }

    @Test
    void filesAreLabelledByTheirPath(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("c.yaml"), "x:\n  - 1\n");
        ConfigNode.MapNode m = (ConfigNode.MapNode) loader.load(f);
        assertThat(m.entries().get("x").location()).isEqualTo(new Location(f.toString(), 2, 3));
        assertThatThrownBy(() -> loader.load(dir.resolve("missing.yaml")))
                .hasMessage(dir.resolve("missing.yaml") + ": no such file");
    }

    @Test
    void locationsPrintLikeCompilerMessages() {
        assertThat(new Location("f.yaml", 3, 7)).hasToString("f.yaml:3:7");
        assertThat(Location.of("--listen")).hasToString("--listen");
        assertThat(new ConfigException.Problem(new Location("f.yaml", 1, 2), "bad")).hasToString("f.yaml:1:2: bad");
    }
}
