package dev.portico.server.tunnel;

import dev.portico.testing.netem.LinkSpec;
import dev.portico.testing.netem.NetnsAssumptions;
import dev.portico.testing.netem.NetnsTopology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code relay: ["ra:rb"]}: A and B each dial a session on C, which has no device for either and
 * forwards frames between them. A's session is reliable and compresses with LZ4, B's uses DATAGRAM
 * frames, so C re-frames every packet and passes compressed ones through. Ping crosses A ↔ C ↔ B
 * both ways, and again after B's Portico restarts. Needs root, {@code /dev/net/tun}, network
 * namespaces, {@code ip}, {@code ethtool} and {@code ping}; without any of them the test is
 * skipped, naming what is missing.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class TunnelRelayTest {

    private static final Duration UP = Duration.ofSeconds(90);

    @Test
    void pingCrossesTwoSessionsRelayedOnAThirdHost() throws Exception {
        NetnsAssumptions.assumeNetns("ping");
        Path dir = Files.createTempDirectory(Path.of("target"), "tunnel-relay-").toAbsolutePath();
        LinkSpec link = LinkSpec.CLEAN.withDelay(Duration.ofMillis(5));
        try (NetnsTopology net = NetnsTopology.builder().link("a", "c", link, link).link("c", "b", link, link).start()) {
            NetnsTopology.Host a = net.host("a");
            NetnsTopology.Host b = net.host("b");
            NetnsTopology.Host c = net.host("c");
            Path relayYaml = dir.resolve("relay.yaml");
            Files.writeString(relayYaml, """
                    state_dir: %s
                    admin: off
                    services:
                      wan:
                        type: tunnel
                        mode: server
                        listen: [0.0.0.0:9000]
                        idle_timeout: 4s
                        keepalive: 1s
                        relay: ["ra:rb"]
                        sessions:
                          ra: {local: 10.60.9.1, peer: 10.60.9.2, token: "%s"}
                          rb: {local: 10.60.9.3, peer: 10.60.9.4, token: "%s", transport: datagram}
                    """.formatted(dir.resolve("stateC"), PorticoProcess.TOKEN, PorticoProcess.TOKEN));
            String fp = PorticoProcess.fingerprint(c, relayYaml, "wan");
            PorticoProcess.serve(c, relayYaml, dir.resolve("relay.log"));
            Path aYaml = client(dir, "a", "ra: {local: 10.60.0.1, peer: 10.60.0.2, compress: lz4, target: \""
                    + net.link(0).yAddress() + ":9000\"", fp);
            Path bYaml = client(dir, "b", "rb: {local: 10.60.0.2, peer: 10.60.0.1, transport: datagram, target: \""
                    + net.link(1).xAddress() + ":9000\"", fp);
            PorticoProcess.serve(a, aYaml, dir.resolve("a.log"));
            Process bProcess = PorticoProcess.serve(b, bYaml, dir.resolve("b.log"));

            await().atMost(UP).pollInterval(Duration.ofMillis(300)).until(() -> ping(a, "10.60.0.2", 56));
            // 1000 bytes: compressed by A, passed through C as it is, expanded by B
            assertThat(ping(a, "10.60.0.2", 1000)).isTrue();
            assertThat(ping(b, "10.60.0.1", 1000)).isTrue();
            assertThat(c.exec(Duration.ofSeconds(10), "ip", "-o", "link", "show").stdout())
                    .as("C has no device for the relayed sessions").doesNotContain(" ra:").doesNotContain(" rb:");
            assertThat(PorticoProcess.read(dir.resolve("relay.log"))).contains("session 'rb' is up, relayed to session 'ra'");

            // B goes away and comes back: the relay carries packets again
            bProcess.destroy();
            assertThat(bProcess.waitFor(30, TimeUnit.SECONDS)).isTrue();
            await().atMost(UP).pollInterval(Duration.ofMillis(300)).until(() ->
                    PorticoProcess.read(dir.resolve("relay.log")).contains("session 'rb' is down"));
            assertThat(ping(a, "10.60.0.2", 56)).isFalse();
            PorticoProcess.serve(b, bYaml, dir.resolve("b2.log"));
            await().atMost(UP).pollInterval(Duration.ofMillis(300)).until(() -> ping(a, "10.60.0.2", 56));
            assertThat(ping(b, "10.60.0.1", 1000)).isTrue();
        }
    }

    private static Path client(Path dir, String host, String session, String fp) throws Exception {
        Path yaml = dir.resolve(host + ".yaml");
        Files.writeString(yaml, """
                state_dir: %s
                admin: off
                services:
                  wan:
                    type: tunnel
                    mode: client
                    idle_timeout: 4s
                    keepalive: 1s
                    redial_max: 1s
                    sessions:
                      %s, token: "%s", server_fingerprint: %s}
                """.formatted(dir.resolve("state-" + host), session, PorticoProcess.TOKEN, fp));
        return yaml;
    }

    /** One ping with {@code size} bytes of a fixed pattern; true when it came back intact. */
    private static boolean ping(NetnsTopology.Host from, String address, int size) throws Exception {
        NetnsTopology.Result r = from.exec(Duration.ofSeconds(10), "ping", "-c", "1", "-W", "2", "-s",
                Integer.toString(size), "-p", "5a", address);
        return r.ok() && !r.stdout().contains("wrong data");
    }
}
