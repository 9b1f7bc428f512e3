package dev.portico.server.tunnel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.testing.netem.LinkSpec;
import dev.portico.testing.netem.NetnsAssumptions;
import dev.portico.testing.netem.NetnsTopology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code routing_metric: on}: two sessions carry the same route over two emulated paths, of 50 ms
 * and 150 ms round trip. The route at metric 0 goes through the faster one; when that path's
 * delay rises above the other's, the route moves and the new best session's {@code rtch} runs.
 * The admin API shows both sessions with their metrics, and its reconnect action makes the
 * client dial again.
 * Needs root, {@code /dev/net/tun}, network namespaces, {@code ip} and {@code ethtool}; without
 * any of them the test is skipped, naming what is missing.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class TunnelRouteMetricTest {

    private static final Duration UP = Duration.ofSeconds(90);
    private static final String ROUTE = "10.77.0.0/16";

    @Test
    void theSharedRouteFollowsTheShorterRoundTrip() throws Exception {
        NetnsAssumptions.assumeNetns("curl");
        Path dir = Files.createTempDirectory(Path.of("target"), "tunnel-metric-").toAbsolutePath();
        LinkSpec fast = LinkSpec.CLEAN.withDelay(Duration.ofMillis(25));
        LinkSpec slow = LinkSpec.CLEAN.withDelay(Duration.ofMillis(75));
        try (NetnsTopology net = NetnsTopology.builder().link("a", "b", fast, fast).link("a", "b", slow, slow).start()) {
            NetnsTopology.Host a = net.host("a");
            NetnsTopology.Host b = net.host("b");
            Path serverYaml = dir.resolve("server.yaml");
            Files.writeString(serverYaml, """
                    state_dir: %s
                    admin: off
                    services:
                      wan:
                        type: tunnel
                        mode: server
                        listen: [0.0.0.0:9000]
                        idle_timeout: 4s
                        keepalive: 200ms
                        sessions:
                          mone: {local: 10.66.1.1, peer: 10.66.1.2, token: "%s"}
                          mtwo: {local: 10.66.2.1, peer: 10.66.2.2, token: "%s"}
                    """.formatted(dir.resolve("stateB"), PorticoProcess.TOKEN, PorticoProcess.TOKEN));
            String fp = PorticoProcess.fingerprint(b, serverYaml, "wan");
            PorticoProcess.serve(b, serverYaml, dir.resolve("server.log"));
            Path rtch = dir.resolve("rtch.sh");
            Files.writeString(rtch, "#!/bin/sh\necho \"$1\" >> " + dir.resolve("rtch.log") + "\n");
            rtch.toFile().setExecutable(true);
            Path clientYaml = dir.resolve("client.yaml");
            Files.writeString(clientYaml, """
                    state_dir: %s
                    admin: {listen: 127.0.0.1:9090, token: test-admin-token}
                    services:
                      wan:
                        type: tunnel
                        mode: client
                        idle_timeout: 4s
                        keepalive: 200ms
                        redial_max: 1s
                        routing_metric: on
                        metric_interval: 500ms
                        sessions:
                          mone: {local: 10.66.1.2, peer: 10.66.1.1, token: "%s", target: "%s:9000",
                                 server_fingerprint: %s, routes: [%s], rtch: %s}
                          mtwo: {local: 10.66.2.2, peer: 10.66.2.1, token: "%s", target: "%s:9000",
                                 server_fingerprint: %s, routes: [%s], rtch: %s}
                    """.formatted(dir.resolve("stateA"), PorticoProcess.TOKEN, net.link(0).yAddress(), fp, ROUTE, rtch,
                    PorticoProcess.TOKEN, net.link(1).yAddress(), fp, ROUTE, rtch));
            PorticoProcess.serve(a, clientYaml, dir.resolve("client.log"));

            await().atMost(UP).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
                List<String> routes = routes(a);
                assertThat(best(routes)).as("%s", routes).isEqualTo("mone");
                // both measured (below 327670, where an unmeasured session enters), the faster one lower
                assertThat(metricOf(routes, "mtwo")).as("%s", routes).isLessThan(327_670)
                        .isGreaterThan(metricOf(routes, "mone"));
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> PorticoProcess.read(dir.resolve("rtch.log"))
                    .lines().toList().contains("mone"));
            assertThat(a.exec(Duration.ofSeconds(10), "ip", "-4", "route", "get", "10.77.1.1").stdout())
                    .contains("dev mone");

            // the fast path becomes slower than the other one: 250 ms round trip
            LinkSpec slower = LinkSpec.CLEAN.withDelay(Duration.ofMillis(125));
            net.set(net.link(0).forward(), slower);
            net.set(net.link(0).backward(), slower);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300))
                    .untilAsserted(() -> assertThat(best(routes(a))).as("%s", routes(a)).isEqualTo("mtwo"));
            await().atMost(Duration.ofSeconds(20)).until(() -> PorticoProcess.read(dir.resolve("rtch.log"))
                    .lines().toList().getLast().equals("mtwo"));
            assertThat(a.exec(Duration.ofSeconds(10), "ip", "-4", "route", "get", "10.77.1.1").stdout())
                    .contains("dev mtwo");
            assertThat(metricOf(routes(a), "mone")).as("%s", routes(a)).isGreaterThan(metricOf(routes(a), "mtwo"));

            // the admin API shows both sessions with their round trips and route metrics
            JsonNode mone = session(a, "mone");
            JsonNode mtwo = session(a, "mtwo");
            assertThat(mone.get("state").asText()).isEqualTo("up");
            assertThat(mone.get("device").asText()).isEqualTo("mone");
            assertThat(mone.get("peer").asText()).isEqualTo(net.link(0).yAddress() + ":9000");
            assertThat(mone.get("rtt_ms").asDouble()).isPositive();
            assertThat(mone.get("cwnd_bytes").asDouble()).isPositive();
            // measured every period: the slower path's metric is the higher one
            assertThat(mone.get("route_metrics").get(ROUTE).asInt()).isLessThan(327_670)
                    .isGreaterThan(mtwo.get("route_metrics").get(ROUTE).asInt());
            assertThat(mone.get("best_routes")).isEmpty();
            assertThat(mtwo.get("best_routes").get(0).asText()).isEqualTo(ROUTE);
            assertThat(mone.get("connects").asLong()).isEqualTo(1);
            // and reconnect drops a session's connection: the client dials again and the route comes back
            NetnsTopology.Result r = a.exec(Duration.ofSeconds(20), "curl", "-s", "--max-time", "10", "-X", "POST",
                    "-H", "Authorization: Bearer test-admin-token",
                    "http://127.0.0.1:9090/api/v1/services/wan/tunnel/mone/reconnect");
            assertThat(r.stdout()).as(r.stderr()).contains("\"session\":\"mone\"");
            await().atMost(UP).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
                JsonNode again = session(a, "mone");
                assertThat(again.get("connects").asLong()).isEqualTo(2);
                assertThat(again.get("state").asText()).isEqualTo("up");
                assertThat(routes(a)).anyMatch(l -> l.contains("dev mone") && l.contains(" metric "));
            });
            assertThat(PorticoProcess.read(dir.resolve("client.log"))).contains("session 'mone': reconnecting, as the "
                    + "admin asked");
        }
    }

    /** A session as {@code GET /api/v1/services/wan/tunnel} shows it. */
    private static JsonNode session(NetnsTopology.Host h, String name) throws Exception {
        NetnsTopology.Result r = h.exec(Duration.ofSeconds(20), "curl", "-s", "--max-time", "10", "-H",
                "Authorization: Bearer test-admin-token", "http://127.0.0.1:9090/api/v1/services/wan/tunnel");
        for (JsonNode s : new ObjectMapper().readTree(r.stdout()).get("sessions")) {
            if (s.get("name").asText().equals(name)) {
                return s;
            }
        }
        throw new AssertionError("no session " + name + " in " + r.stdout());
    }

    /** The kernel's routes to {@link #ROUTE} in host {@code h}, one per line. */
    private static List<String> routes(NetnsTopology.Host h) throws Exception {
        return h.exec(Duration.ofSeconds(10), "ip", "-4", "route", "show", ROUTE).stdout().lines()
                .map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    /** The device of the route at metric 0 (the kernel leaves a zero metric out), or null. */
    private static String best(List<String> routes) {
        return routes.stream().filter(l -> !l.contains(" metric ")).map(l -> word(l, "dev")).findFirst().orElse(null);
    }

    private static int metricOf(List<String> routes, String device) {
        return routes.stream().filter(l -> l.contains(" metric ") && device.equals(word(l, "dev")))
                .mapToInt(l -> Integer.parseInt(word(l, "metric"))).findFirst()
                .orElseThrow(() -> new AssertionError("no metric route on " + device + " in " + routes));
    }

    private static String word(String line, String after) {
        String[] w = line.split("\\s+");
        for (int i = 0; i + 1 < w.length; i++) {
            if (w[i].equals(after)) {
                return w[i + 1];
            }
        }
        return null;
    }
}
