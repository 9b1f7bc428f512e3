package dev.portico.tunnel;

import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class TunnelConfigTest {

    private static final String FP = "f48e535417db0b17e3e441586b638122d8f32cb2ee3840b71c83a6c088e76125";

    @TempDir
    Path dir;

    private TunnelConfig parse(String yaml, Problems problems) throws Exception {
        Path file = dir.resolve("portico.yaml");
        Files.writeString(file, yaml);
        Section s = Section.of(new YamlLoader().load(yaml, file.toString()), "services.wan", problems);
        return new TunnelServiceType().parse("wan", s);
    }

    private TunnelConfig parse(String yaml) throws Exception {
        Problems problems = new Problems();
        TunnelConfig c = parse(yaml, problems);
        assertThat(problems.list()).isEmpty();
        return c;
    }

    private String problems(String yaml) throws Exception {
        Problems problems = new Problems();
        assertThat(parse(yaml, problems)).isNull();
        return problems.list().toString();
    }

    @Test
    void serverAndClientSessionsWithDefaults() throws Exception {
        Files.writeString(dir.resolve("warp.token"), "s3cret\n");
        TunnelConfig c = parse("""
                type: tunnel
                mode: hybrid
                listen: [0.0.0.0:9000]
                sessions:
                  warp1:
                    local: 10.19.27.1
                    peer: 10.19.27.2
                    token_file: warp.token
                    routes: [10.19.0.0/19, 192.168.7.0/24/100]
                  warp2:
                    local: 10.19.37.2
                    peer: 10.19.37.1
                    local6: fd19::2
                    peer6: fd19::1
                    token: other
                    transport: datagram
                    compress: lz4
                    target: hub.example.net
                    server_fingerprint: %s
                """.formatted(FP.toUpperCase()));
        assertThat(c.mode()).isEqualTo(TunnelConfig.Mode.HYBRID);
        assertThat(c.dial()).containsExactly("warp2");
        assertThat(c.serverSessions()).containsOnlyKeys("warp1");
        assertThat(c.window()).isEqualTo(4L << 20);
        assertThat(c.initialCwnd()).isEqualTo(1L << 20);
        assertThat(c.congestion()).isEqualTo(TunnelConfig.Congestion.BBR);
        SessionConfig w1 = c.sessions().get("warp1");
        assertThat(w1.token()).isEqualTo("s3cret");
        assertThat(w1.mtu()).isEqualTo(1380);
        assertThat(w1.routes()).extracting(Route::toString).containsExactly("10.19.0.0/19", "192.168.7.0/24/100");
        assertThat(w1.toString()).doesNotContain("s3cret");
        SessionConfig w2 = c.sessions().get("warp2");
        assertThat(w2.target().port()).isEqualTo(9000);
        assertThat(w2.serverFingerprint()).isEqualTo(FP);
        assertThat(w2.local6().getHostAddress()).isEqualTo("fd19:0:0:0:0:0:0:2");
    }

    @Test
    void aSessionNameLongerThanADeviceNameIsRefusedAtItsLine() throws Exception {
        String p = problems("""
                type: tunnel
                listen: [0.0.0.0:9000]
                sessions:
                  a-very-long-session:
                    local: 10.19.27.1
                    peer: 10.19.27.2
                    token: t
                """);
        assertThat(p).contains("portico.yaml:4").contains("'a-very-long-session' is 19 bytes")
                .contains("1 to 15");
    }

    @Test
    void aDatagramMtuThatDoesNotFitIsRefused() throws Exception {
        String p = problems("""
                type: tunnel
                listen: [0.0.0.0:9000]
                sessions:
                  warp1: {local: 10.19.27.1, peer: 10.19.27.2, token: t, transport: datagram, mtu: 1500}
                """);
        assertThat(p).contains("mtu 1500 does not fit a QUIC DATAGRAM frame").contains("at most 1407");
        // 1380, the default, fits the default udp_payload
        parse("""
                type: tunnel
                listen: [0.0.0.0:9000]
                sessions:
                  warp1: {local: 10.19.27.1, peer: 10.19.27.2, token: t, transport: datagram, mtu: 1380}
                """);
    }

    @Test
    void relayAndRouteMetricsAreReadAndTheirMistakesReportedAtTheirLines() throws Exception {
        TunnelConfig c = parse("""
                type: tunnel
                listen: [0.0.0.0:9000]
                relay: ["warp1:warp2"]
                routing_metric: on
                metric_interval: 5s
                sessions:
                  warp1: {local: 10.19.27.1, peer: 10.19.27.2, token: t}
                  warp2: {local: 10.19.37.1, peer: 10.19.37.2, token: t}
                """);
        assertThat(c.relays()).containsExactly(new TunnelConfig.Relay("warp1", "warp2"));
        assertThat(c.relayOf("warp2")).isEqualTo(c.relays().getFirst());
        assertThat(c.routingMetric()).isTrue();
        assertThat(c.metricInterval()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(parse("""
                type: tunnel
                listen: [0.0.0.0:9000]
                sessions:
                  warp1: {local: 10.19.27.1, peer: 10.19.27.2, token: t}
                """).metricInterval()).isEqualTo(java.time.Duration.ofSeconds(20));

        String p = problems("""
                type: tunnel
                listen: [0.0.0.0:9000]
                relay: ["warp1"]
                routing_metric: maybe
                metric_interval: 10ms
                sessions:
                  warp1: {local: 10.19.27.1, peer: 10.19.27.2, token: t, relay: "warp1:warp2"}
                """);
        assertThat(p).contains("portico.yaml:3").contains("'warp1' is not two session names as a:b")
                .contains("portico.yaml:4").contains("portico.yaml:5").contains("at least 100ms")
                .contains("portico.yaml:7").contains("belongs to the service, not to a session");
        assertThat(problems("""
                type: tunnel
                listen: [0.0.0.0:9000]
                relay: ["warp1:ghost"]
                sessions:
                  warp1: {local: 10.19.27.1, peer: 10.19.27.2, token: t}
                """)).contains("relay 'warp1:ghost' names session 'ghost', which is not in sessions");
    }

    @Test
    void badValuesAreReportedEachAtItsLine() throws Exception {
        String p = problems("""
                type: tunnel
                mode: client
                sessions:
                  warp1:
                    local: 10.19.27.1
                    peer: nowhere
                    compress: lzo
                    routes: [10.0.0.0/8/x]
                    target: hub:9000
                    server_fingerprint: abc
                    tokne: t
                """);
        assertThat(p).contains("portico.yaml:6").contains("'nowhere' is not an IP address")
                .contains("portico.yaml:7").contains("'lzo' is not one of")
                .contains("portico.yaml:8").contains("metric 'x'")
                .contains("portico.yaml:10").contains("not a SHA-256 fingerprint")
                .contains("portico.yaml:11").contains("unknown key 'tokne'");
    }

    @Test
    void aClientSessionNeedsAWayToCheckTheServer() throws Exception {
        String p = problems("""
                type: tunnel
                mode: client
                sessions:
                  warp1: {local: 10.19.27.2, peer: 10.19.27.1, token: t, target: "hub:9000"}
                """);
        assertThat(p).contains("needs server_fingerprint");
    }

    @Test
    void aMissingTokenFileIsReported() throws Exception {
        String p = problems("""
                type: tunnel
                listen: [0.0.0.0:9000]
                sessions:
                  warp1: {local: 10.19.27.1, peer: 10.19.27.2, token_file: nope.token}
                """);
        assertThat(p).contains("cannot read").contains("nope.token");
    }

    @Test
    void anInitialCwndBelowTenPacketsIsRefusedAtItsLine() throws Exception {
        String p = problems("""
                type: tunnel
                listen: [0.0.0.0:9000]
                initial_cwnd: 8k
                sessions:
                  warp1: {local: 10.19.27.1, peer: 10.19.27.2, token: t}
                """);
        assertThat(p).contains("portico.yaml:3").contains("initial_cwnd' must be at least 16k");
    }

    @Test
    void aWrittenConfigReadsBackEqualWithTokenFilesKeptAsFiles() throws Exception {
        Files.writeString(dir.resolve("warp.token"), "s3cret\n");
        TunnelConfig c = parse("""
                type: tunnel
                mode: hybrid
                listen: [0.0.0.0:9000]
                congestion: cubic
                window: 8m
                initial_cwnd: 512k
                idle_timeout: 20s
                routing_metric: on
                metric_interval: 3s
                max_unauthenticated: 32
                relay: ["warp3:warp4"]
                sessions:
                  warp3: {local: 10.19.47.1, peer: 10.19.47.2, token: t}
                  warp4: {local: 10.19.57.1, peer: 10.19.57.2, token: t}
                  warp1:
                    local: 10.19.27.1
                    peer: 10.19.27.2
                    local6: fd19::1
                    peer6: fd19::2
                    mtu: 1400
                    token_file: warp.token
                    routes: [10.19.0.0/19, 192.168.7.0/24/100, "fd99::/64"]
                  warp2: {local: 10.19.37.2, peer: 10.19.37.1, token: inline, transport: datagram, compress: zlib,
                          target: "hub:9001", server_fingerprint: %s}
                """.formatted(FP));
        java.util.Map<String, Object> section = new TunnelServiceType().toYaml(c).orElseThrow();
        String text = new dev.portico.core.config.YamlWriter().write(section);
        assertThat(text).doesNotContain("s3cret").contains("warp.token");
        assertThat(parse(text)).isEqualTo(c);
        TunnelConfig small = parse("""
                type: tunnel
                listen: [0.0.0.0:9000]
                sessions:
                  warp1: {local: 10.19.27.1, peer: 10.19.27.2, token: t}
                """);
        assertThat(new TunnelServiceType().toYaml(small).orElseThrow())
                .containsOnlyKeys("type", "mode", "listen", "sessions");
    }

    @Test
    void theBuilderSetsWhatTheConfigSets() {
        SessionConfig s = SessionConfig.builder("warp1").local(java.net.InetAddress.ofLiteral("10.0.0.1"))
                .peer(java.net.InetAddress.ofLiteral("10.0.0.2")).token("t").mtu(1400).txqueuelen(500)
                .compress(SessionConfig.Compression.ZLIB).route(Route.parse("10.1.0.0/16/5")).build();
        TunnelConfig c = TunnelConfig.builder().listen(dev.portico.core.net.HostPort.parse(":9000")).session(s)
                .congestion(TunnelConfig.Congestion.CUBIC).window(8L << 20).initialCwnd(256 << 10).udpPayload(1350)
                .build();
        assertThat(c.congestion()).isEqualTo(TunnelConfig.Congestion.CUBIC);
        assertThat(c.initialCwnd()).isEqualTo(256 << 10);
        assertThat(QuicSettings.initialCwndPackets(c)).isEqualTo(195); // 262144 / 1350, rounded up
        assertThat(c.sessions().get("warp1").routes().getFirst().metric()).isEqualTo(5);
        assertThat(c.sessions().get("warp1").routes().getFirst().destination()).isEqualTo("10.1.0.0/16");
    }
}
