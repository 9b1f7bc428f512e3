package dev.portico.testing.netem;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Namespaces, devices, addresses and clean-up. Needs root and namespaces; skipped otherwise. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NetnsTopologyTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void needsNamespaces() {
        NetnsAssumptions.assumeNetns("ping");
    }

    @Test
    void closeStopsEverythingAndDeletesTheNamespaces() throws Exception {
        NetnsTopology net = NetnsTopology.pair(LinkSpec.CLEAN, LinkSpec.CLEAN);
        List<String> namespaces = net.namespaces();
        assertThat(namespaces).hasSize(3).allSatisfy(ns -> assertThat(Path.of("/run/netns", ns)).exists());
        Process sleeper = net.host("a").start(dir.resolve("sleep.log"), "sleep", "600");
        Process emulator = net.emulator();
        assertThat(net.host("a").exec(Duration.ofSeconds(10), "ping", "-c", "1", "-W", "5", net.link(0).yAddress()).ok())
                .as("b answers a through the bridge").isTrue();

        net.close();

        assertThat(namespaces).allSatisfy(ns -> assertThat(Path.of("/run/netns", ns)).doesNotExist());
        assertThat(sleeper.isAlive()).isFalse();
        assertThat(emulator.isAlive()).isFalse();
    }

    @Test
    void aFailedStartLeavesNothingBehind() throws Exception {
        assertThatThrownBy(() -> NetnsTopology.builder()
                .link("a", "b", LinkSpec.CLEAN, LinkSpec.CLEAN)
                .emulatorCpu(4095)
                .start())
                .hasMessageContaining("the link emulator did not start (it exited with status")
                .hasMessageContaining("taskset");
        assertThat(ours()).isEmpty();
    }

    @Test
    void hostsOnSeveralLinksGetOneSubnetPerLink() throws Exception {
        Path stats = dir.resolve("stats.txt");
        try (NetnsTopology net = NetnsTopology.builder()
                .link("a", "c", LinkSpec.CLEAN, LinkSpec.CLEAN)
                .link("c", "b", LinkSpec.CLEAN, LinkSpec.CLEAN)
                .link("a", "b", LinkSpec.CLEAN, LinkSpec.CLEAN)
                .statsFile(stats)
                .start()) {
            assertThat(net.namespaces()).hasSize(4);
            NetnsTopology.Link cb = net.link(1);
            assertThat(cb.x()).isEqualTo("c");
            assertThat(cb.xAddress()).isEqualTo("10.203.1.1");
            assertThat(cb.forward()).isEqualTo("c1-b1");
            assertThat(net.host("c").exec(Duration.ofSeconds(10), "ping", "-c", "1", "-W", "5", cb.yAddress()).ok()).isTrue();
            assertThat(net.host("a").exec(Duration.ofSeconds(10), "ping", "-c", "1", "-W", "5", net.link(2).yAddress()).ok()).isTrue();
            // Link 0 joins a and c only: b is not on it.
            assertThat(net.host("b").exec(Duration.ofSeconds(10), "ping", "-c", "1", "-W", "1", net.link(0).xAddress()).ok()).isFalse();
            assertThat(net.stats().directions().keySet()).containsExactly("a0-c0", "c0-a0", "c1-b1", "b1-c1", "a2-b2", "b2-a2");
        }
        assertThat(Files.readString(stats)).startsWith("stats time_ns=").contains("c1-b1 in_frames=");
    }

    @Test
    void badHostNamesAreRefused() {
        assertThatThrownBy(() -> NetnsTopology.builder().link("r", "b", LinkSpec.CLEAN, LinkSpec.CLEAN))
                .hasMessage("host name 'r' must be 1-8 lower-case letters, not r");
        assertThatThrownBy(() -> NetnsTopology.builder().link("a", "a", LinkSpec.CLEAN, LinkSpec.CLEAN))
                .hasMessageContaining("two different hosts");
    }

    private static List<String> ours() throws Exception {
        String prefix = "portico-" + ProcessHandle.current().pid() + "-";
        try (Stream<Path> s = Files.list(Path.of("/run/netns"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).toList();
        }
    }
}
