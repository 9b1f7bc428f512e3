package dev.portico.filestore;

import dev.portico.core.config.ConfigException;
import dev.portico.core.config.Location;
import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import dev.portico.core.config.YamlWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FilestoreConfigTest {

    @TempDir
    Path state;

    private FilestoreConfig parse(String yaml, Problems problems) throws Exception {
        Section s = Section.of(new YamlLoader().load(yaml, "test.yaml"), "services.fs", problems);
        return new FilestoreServiceType().parse("fs", s);
    }

    private FilestoreConfig parse(String yaml) throws Exception {
        Problems problems = new Problems();
        FilestoreConfig c = parse(yaml, problems);
        assertThat(problems.list()).isEmpty();
        return c;
    }

    private String problems(String yaml) throws Exception {
        Problems problems = new Problems();
        assertThat(parse(yaml, problems)).isNull();
        return problems.list().toString();
    }

    @Test
    void poolsWithStagesRangesAndDefaults() throws Exception {
        FilestoreConfig c = parse("""
                type: filestore
                listen: [127.0.0.1:0]
                write_permit: [10.0.0.0/8, 127.0.0.1]
                pools:
                  vm0:
                    stages:
                      - {stage: 0, nodes: [10.0.0.1-10:80]}
                      - {stage: 1, nodes: [10.0.1.1:8000, 10.0.1.2:8000]}
                """);
        StorePool p = c.pool("vm0");
        assertThat(p.stage()).isEqualTo(1);
        assertThat(p.nodes(0)).hasSize(10).startsWith("10.0.0.10:80", "10.0.0.1:80", "10.0.0.2:80");
        assertThat(p.newestFirst()).containsExactly(1, 0);
        assertThat(c.redundancy()).isEqualTo(2);
        assertThat(c.writeQuorum()).isEqualTo(2);
        assertThat(c.region()).isEqualTo(256);
        assertThat(c.prefix()).isEqualTo("_3fs");
        assertThat(c.writePermit()).hasSize(2);
        assertThat(c.pool("other.example")).isNull();
        FilestoreConfig shorthand = parse("type: filestore\nlisten: [127.0.0.1:0]\nnodes: [127.0.0.1:9001, 127.0.0.1:9002]\n"
                + "write_quorum: 1\n");
        assertThat(shorthand.pool("any.host").nodes(0)).containsExactly("127.0.0.1:9001", "127.0.0.1:9002");
        assertThat(shorthand.writeQuorum()).isEqualTo(1);
        assertThat(shorthand.writePermit()).isEmpty();
    }

    @Test
    void badValuesAreNamedWithTheirLine() throws Exception {
        assertThat(problems("type: filestore\nlisten: [127.0.0.1:0]\nregion: 100\nnodes: [127.0.0.1:9001, 127.0.0.1:9002]\n"))
                .contains("test.yaml:3").contains("region").contains("16, 256, 4096 or 65536");
        assertThat(problems("type: filestore\nlisten: [127.0.0.1:0]\nregion: 16\nredundancy: 33\n"
                + "nodes: [127.0.0.1:9001-40]\n")).contains("test.yaml:4").contains("at most 32");
        assertThat(problems("type: filestore\nlisten: [127.0.0.1:0]\nregion: 4096\nredundancy: 11\n"
                + "nodes: [10.0.0.1-20:80]\n")).contains("test.yaml:4").contains("at most 10");
        assertThat(problems("type: filestore\nlisten: [127.0.0.1:0]\nregion: 16\nredundancy: 2\n"
                + "nodes: [10.0.0.1-17:80]\n")).contains("test.yaml:5").contains("17 nodes, more than region 16");
        assertThat(problems("type: filestore\nlisten: [127.0.0.1:0]\nredundancy: 3\n"
                + "pools:\n  a:\n    stages:\n      - {stage: 0, nodes: [10.0.0.1-5:80]}\n"
                + "      - {stage: 1, nodes: [10.0.1.1:80, 10.0.1.2:80]}\n"))
                .contains("test.yaml:8").contains("2 nodes, fewer than redundancy 3");
        assertThat(problems("type: filestore\nlisten: [127.0.0.1:0]\nwrite_quorum: 3\nnodes: [10.0.0.1-3:80]\n"))
                .contains("test.yaml:3").contains("more than redundancy 2");
        assertThat(problems("type: filestore\nlisten: [127.0.0.1:0]\npools:\n  a:\n    stage: 4\n"
                + "    stages: [{stage: 0, nodes: [10.0.0.1-3:80]}]\n")).contains("test.yaml:5").contains("stage' is 4");
        assertThat(problems("type: filestore\nlisten: [127.0.0.1:0]\nnodes: [10.0.0.9-3:80]\n"))
                .contains("test.yaml:3").contains("between 9 and 255");
        assertThat(problems("type: filestore\nlisten: [127.0.0.1:0]\nnodes: [10.0.0.1-3:80]\nwrite_permit: [nonsense]\n"))
                .contains("test.yaml:4").contains("write_permit");
        assertThat(problems("type: filestore\nlisten: [127.0.0.1:0]\nnodes: [10.0.0.1-3:80]\nredundency: 2\n"))
                .contains("test.yaml:4").contains("did you mean 'redundancy'");
        assertThat(problems("type: filestore\nlisten: [127.0.0.1:0]\nnodes: [10.0.0.1-3:80]\ntombstone_ttl: 0s\n"))
                .contains("test.yaml:4").contains("tombstone_ttl' must be more than 0s");
        assertThat(problems("type: filestore\nlisten: [127.0.0.1:0]\nnodes: [10.0.0.1-3:80]\nhandoff: {rate: 0}\n"))
                .contains("test.yaml:4").contains("rate");
        assertThat(problems("type: filestore\nlisten: [127.0.0.1:0]\nnodes: [10.0.0.1-3:80]\nhandoff: {every: 1s}\n"))
                .contains("test.yaml:4").contains("every");
    }

    @Test
    void aConfigWrittenBackReadsToAnEqualOne() throws Exception {
        FilestoreConfig c = parse("""
                type: filestore
                listen: [127.0.0.1:0]
                redundancy: 3
                region: 4096
                prefix: files
                write_permit: [10.0.0.0/8]
                write_quorum: 2
                health: "http:/ok"
                timeouts: {connect: 2s, response: 30s}
                limits: {body: 1g}
                state_dir: /var/lib/portico
                tombstone_ttl: 3d
                handoff: {interval: 2s, rate: 20, max_entries: 5000}
                pools:
                  vm0:
                    stage: 0
                    stages:
                      - {stage: 0, nodes: [10.0.0.1-10:80]}
                      - {stage: 1, nodes: [10.0.1.1-3:8000]}
                """);
        assertThat(c.tombstoneTtl()).isEqualTo(java.time.Duration.ofDays(3));
        assertThat(c.handoff()).isEqualTo(new FilestoreConfig.HandoffSettings(java.time.Duration.ofSeconds(2), 20, 5000));
        Map<String, Object> section = new FilestoreServiceType().toYaml(c).orElseThrow();
        assertThat(section).doesNotContainKeys("force", "backlog");
        assertThat(parse(new YamlWriter().write(section))).isEqualTo(c);
        FilestoreConfig small = parse("type: filestore\nlisten: [127.0.0.1:0]\nnodes: [10.0.0.1-3:80]\n");
        Map<String, Object> smallSection = new FilestoreServiceType().toYaml(small).orElseThrow();
        assertThat(smallSection).containsOnlyKeys("type", "listen", "pools");
        assertThat(parse(new YamlWriter().write(smallSection))).isEqualTo(small);
    }

    @Test
    void theBuilderChecksWhatTheFileDoes() {
        FilestoreConfig.Builder b = FilestoreConfig.builder().listen(dev.portico.core.net.HostPort.parse("127.0.0.1:0"))
                .pool(new StorePool("*", new java.util.TreeMap<>(java.util.Map.of(0, List.of("10.0.0.1:80"))), 0));
        assertThatThrownBy(b::build).hasMessageContaining("fewer than redundancy 2");
        assertThatThrownBy(() -> b.redundancy(1).region(1000).build()).hasMessageContaining("region must be");
        assertThat(b.region(256).build().writeQuorum()).isEqualTo(1);
    }

    @Test
    void aChangedLayoutIsRefusedUntilForcedAndNewStagesAreRecorded() throws Exception {
        String base = "type: filestore\nlisten: [127.0.0.1:0]\nstate_dir: " + state + "\n";
        FilestoreConfig first = parse(base + "pools:\n  '*':\n    stages: [{stage: 0, nodes: [10.0.0.2:80, 10.0.0.1:80]}]\n");
        Path file = Layout.file(state, "fs");
        Layout.reconcile(file, first);
        assertThat(Files.readString(file)).contains("redundancy 2").contains("region 256")
                .contains("stage * 0 10.0.0.1:80 10.0.0.2:80");

        // the same nodes written in another order are the same layout
        Layout.reconcile(file, parse(base + "nodes: [10.0.0.1:80, 10.0.0.2:80]\n"));

        FilestoreConfig moved = parse(base + "nodes: [10.0.0.1:80, 10.0.0.2:80, 10.0.0.3:80]\n");
        assertThatThrownBy(() -> Layout.reconcile(file, moved)).isInstanceOf(Layout.LayoutChanged.class)
                .hasMessageContaining("stage 0 had nodes 10.0.0.1:80, 10.0.0.2:80")
                .hasMessageContaining("Add the new nodes as a new stage");
        List<ConfigException.Problem> check = new FilestoreServiceType().checkFiles("fs", moved, new Location("test.yaml", 1, 1));
        assertThat(check.toString()).contains("test.yaml:1").contains("new stage");
        FilestoreConfig region = parse(base + "region: 4096\nnodes: [10.0.0.1:80, 10.0.0.2:80]\n");
        assertThatThrownBy(() -> Layout.reconcile(file, region)).hasMessageContaining("region was 256 and is now 4096");

        FilestoreConfig grown = parse(base + "pools:\n  '*':\n    stages:\n      - {stage: 0, nodes: [10.0.0.1:80, 10.0.0.2:80]}\n"
                + "      - {stage: 1, nodes: [10.0.1.1:80, 10.0.1.2:80]}\n");
        Layout.reconcile(file, grown);
        assertThat(Files.readString(file)).contains("stage * 1 10.0.1.1:80 10.0.1.2:80");
        assertThat(new FilestoreServiceType().checkFiles("fs", grown, new Location("test.yaml", 1, 1))).isEmpty();

        FilestoreConfig forced = parse(base + "force: true\nnodes: [10.0.0.1:80, 10.0.0.2:80, 10.0.0.3:80]\n");
        Layout.reconcile(file, forced);
        assertThat(Files.readString(file)).contains("stage * 0 10.0.0.1:80 10.0.0.2:80 10.0.0.3:80")
                .doesNotContain("stage * 1");
    }
}
