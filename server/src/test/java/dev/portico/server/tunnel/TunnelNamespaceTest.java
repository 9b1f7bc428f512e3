package dev.portico.server.tunnel;

import dev.portico.tunnel.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two {@code portico serve} processes, one in each of two network namespaces joined by a veth
 * pair, with a tunnel service between them: four sessions covering both transports, with and
 * without compression. The server's namespace also runs a web service, so that a TCP transfer
 * through each session is checked by SHA-256. Needs root, {@code /dev/net/tun}, {@code ip netns},
 * {@code ping} and {@code curl}; without any of them the tests are skipped, naming what is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TunnelNamespaceTest {

    /** Session name, server address, transport, compression. */
    private static final String[][] SESSIONS = {
        {"rel", "10.19.27", "reliable", "off"},
        {"relz", "10.19.28", "reliable", "zlib"},
        {"dg", "10.19.29", "datagram", "off"},
        {"dglz", "10.19.30", "datagram", "lz4"},
    };
    private static final String TOKEN = "a shared secret for the tests";
    private static final Duration UP = Duration.ofSeconds(90);

    private Netns ns;
    private Path dir;
    private Path serverConfig;
    private Process server;
    private Process client;
    private String fingerprint;
    private byte[] blob;

    @BeforeAll
    void start() throws Exception {
        String missing = Netns.missing();
        assumeTrue(missing == null, () -> "skipped: these tests need " + missing);
        for (String tool : List.of("ping", "curl")) {
            assumeTrue(onPath(tool), () -> "skipped: these tests need " + tool + " (bin/lib/test-deps.sh installs it)");
        }
        dir = Files.createTempDirectory(Path.of("target"), "tunnel-ns-").toAbsolutePath();
        ns = Netns.create();
        Files.writeString(dir.resolve("token"), TOKEN + "\n");
        Files.createDirectories(dir.resolve("www"));
        blob = new byte[3 << 20];
        new Random(7).nextBytes(blob);
        Files.write(dir.resolve("www/blob"), blob);
        serverConfig = dir.resolve("server.yaml");
        Files.writeString(serverConfig, serverYaml());
        Netns.Result fp = ns.exec(ns.a(), portico("tunnel", "fingerprint", "-c", serverConfig.toString())
                .toArray(String[]::new));
        assertThat(fp.status()).as(fp.output()).isZero();
        fingerprint = fp.output().lines().filter(l -> l.startsWith("wan ")).findFirst().orElseThrow().substring(4).strip();
        server = startServer("server-1.log");
        Path script = dir.resolve("script.sh");
        Files.writeString(script, "#!/bin/sh\necho \"$1 $(ip -o link show dev \"$1\" | grep -c UP)\" >> "
                + dir.resolve("scripts.log") + "\n");
        script.toFile().setExecutable(true);
        Files.writeString(dir.resolve("client.yaml"), clientYaml(TOKEN, fingerprint, SESSIONS, "stateB"));
        client = ns.start(ns.b(), dir.resolve("client.log"), portico("serve", "-c", dir.resolve("client.yaml").toString()));
        for (String[] s : SESSIONS) {
            await().atMost(UP).pollInterval(Duration.ofMillis(300))
                    .until(() -> ns.hasDevice(ns.b(), s[0]) && ping(s[1] + ".1", 56));
        }
    }

    @AfterAll
    void stop() {
        if (ns != null) {
            ns.close();
        }
    }

    private Process startServer(String log) throws IOException {
        return ns.start(ns.a(), dir.resolve(log), portico("serve", "-c", serverConfig.toString()));
    }

    private String serverYaml() {
        StringBuilder y = new StringBuilder("""
                state_dir: %s
                admin: {listen: 127.0.0.1:9090, token: test-admin-token}
                services:
                  files:
                    type: web
                    listen: 0.0.0.0:8080
                    root: %s
                  wan:
                    type: tunnel
                    mode: server
                    listen: [0.0.0.0:9000]
                    idle_timeout: 4s
                    keepalive: 1s
                    redial_max: 2s
                    sessions:
                """.formatted(dir.resolve("stateA"), dir.resolve("www")));
        for (String[] s : SESSIONS) {
            y.append("      %s: {local: %s.1, peer: %s.2, token_file: %s, transport: %s, compress: %s%s}\n"
                    .formatted(s[0], s[1], s[1], dir.resolve("token"), s[2], s[3],
                            s[0].equals("rel") ? ", local6: \"fd19:27::1\", peer6: \"fd19:27::2\"" : ""));
        }
        return y.toString();
    }

    /** A client config; the first client also serves the files, from its own namespace. */
    private String clientYaml(String token, String fp, String[][] sessions, String state) {
        boolean web = state.equals("stateB");
        StringBuilder y = new StringBuilder(((web ? """
                state_dir: %s
                admin: off
                services:
                  files:
                    type: web
                    listen: 0.0.0.0:8080
                    root: %s
                """ : """
                state_dir: %s
                admin: off
                services:
                """) + """
                  wan:
                    type: tunnel
                    mode: client
                    idle_timeout: 4s
                    keepalive: 1s
                    redial_max: 2s
                    sessions:
                """).formatted(dir.resolve(state), dir.resolve("www")));
        for (String[] s : sessions) {
            y.append(("      %s: {local: %s.2, peer: %s.1, token: \"%s\", transport: %s, compress: %s, "
                    + "target: \"%s:9000\", server_fingerprint: %s%s}\n")
                    .formatted(s[0], s[1], s[1], token, s[2], s[3], Netns.A_ADDRESS, fp,
                            s[0].equals("rel") ? ", local6: \"fd19:27::2\", peer6: \"fd19:27::1\", routes: [10.88.0.0/16], "
                                    + "ifup: " + dir.resolve("script.sh") + ", ifdown: " + dir.resolve("script.sh")
                                    : ""));
        }
        return y.toString();
    }

    /** The command line that runs Portico from the tests' class path. */
    private static List<String> portico(String... args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-XX:TieredStopAtLevel=1", "-Xmx256m",
                "-Duser.home=" + Path.of("target", "test-home").toAbsolutePath(),
                "-Dlogback.configurationFile=logback.xml", "-cp", cp, "dev.portico.server.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /** One ping from B with {@code size} bytes of a fixed pattern; true when it came back intact. */
    private boolean ping(String address, int size) throws IOException {
        Netns.Result r = ns.exec(ns.b(), "ping", "-c", "1", "-W", "2", "-s", Integer.toString(size), "-p", "5a",
                address);
        return r.status() == 0 && !r.output().contains("wrong data");
    }

    private String log(String name) throws IOException {
        return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
    }

    private String metrics() throws IOException {
        return ns.exec(ns.a(), "curl", "-s", "--max-time", "10", "-H", "Authorization: Bearer test-admin-token",
                "http://127.0.0.1:9090/metrics").output();
    }

    @Test
    @Order(1)
    void pingAndTcpGoThroughEveryTransportWithAndWithoutCompression() throws Exception {
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
        for (String[] s : SESSIONS) {
            assertThat(ns.hasDevice(ns.a(), s[0])).as("device %s in A", s[0]).isTrue();
            // 1000-byte pings are small enough to be compressed on the sessions that compress
            assertThat(ping(s[1] + ".1", 1000)).as("ping through %s", s[0]).isTrue();
            Path out = dir.resolve("fetched-" + s[0]);
            Netns.Result r = ns.exec(ns.b(), "curl", "-s", "--max-time", "60", "-o", out.toString(),
                    "http://" + s[1] + ".1:8080/blob");
            assertThat(r.status()).as("curl through %s: %s", s[0], r.output()).isZero();
            assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(out))))
                    .as("SHA-256 of the file through %s", s[0]).isEqualTo(expected);
        }
        // IPv6 inside the reliable session (its addresses may still be in duplicate address detection)
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300))
                .until(() -> ns.exec(ns.b(), "ping", "-6", "-c", "1", "-W", "2", "fd19:27::1").status() == 0);
        assertThat(ns.exec(ns.b(), "ip", "route", "show", "10.88.0.0/16").output()).contains("dev rel");
        assertThat(log("scripts.log")).isEqualTo("rel 1\n"); // ifup, with the device up
        if (ns.exec(ns.b(), "cat", "/proc/sys/net/ipv4/ip_forward").output().strip().equals("0")) {
            assertThat(log("client.log")).contains("session 'rel' routes [10.88.0.0/16] through the tunnel, but "
                    + "net.ipv4.ip_forward is 0");
        }
        String m = metrics();
        for (String[] s : SESSIONS) {
            double compressed = value(m, "portico_tunnel_compressed_total", s[0]);
            if (s[3].equals("off")) {
                assertThat(compressed).as("compressed on %s", s[0]).isZero();
            } else {
                assertThat(compressed).as("compressed on %s", s[0]).isPositive();
            }
            assertThat(value(m, "portico_tunnel_up", s[0])).isEqualTo(1.0);
            assertThat(value(m, "portico_tunnel_bytes_total", s[0])).isPositive();
        }
        // QUIC's own statistics arrive with the keep-alive tick
        await().atMost(Duration.ofSeconds(20)).until(() -> value(metrics(), "portico_tunnel_rtt_seconds", "rel") > 0
                && value(metrics(), "portico_tunnel_cwnd_bytes", "rel") > 0);
    }

    /** A meter's value for a session, from the Prometheus text. */
    private static double value(String metrics, String name, String session) {
        return metrics.lines().filter(l -> l.startsWith(name + "{") && l.contains("session=\"" + session + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " for " + session + " in\n" + metrics));
    }

    @Test
    @Order(2)
    void wrongTokenUnknownSessionAndWrongFingerprintAreRefusedWithoutADevice() throws Exception {
        String badFp = "00" + fingerprint.substring(2);
        Files.writeString(dir.resolve("bad.yaml"), clientYaml("not the token", fingerprint,
                new String[][] {{"relz", "10.19.28", "reliable", "zlib"}}, "stateC")
                .replace("      relz:", "      relz:")
                + "      ghost: {local: 10.19.40.2, peer: 10.19.40.1, token: \"" + TOKEN + "\", target: \""
                + Netns.A_ADDRESS + ":9000\", server_fingerprint: " + fingerprint + "}\n"
                + "      zzfp: {local: 10.19.41.2, peer: 10.19.41.1, token: \"" + TOKEN + "\", target: \""
                + Netns.A_ADDRESS + ":9000\", server_fingerprint: " + badFp + "}\n");
        Process bad = ns.start(ns.b(), dir.resolve("bad.log"), portico("serve", "-c", dir.resolve("bad.yaml").toString()));
        try {
            await().atMost(UP).pollInterval(Duration.ofMillis(300)).until(() ->
                    log("server-1.log").contains("wrong token for session 'relz'")
                            && log("server-1.log").contains("unknown session 'ghost'")
                            && log("bad.log").contains("not the pinned server_fingerprint " + badFp));
            assertThat(log("bad.log")).contains("the server closed the connection: refused");
            assertThat(bad.isAlive()).isTrue();
            assertThat(ns.hasDevice(ns.a(), "ghost")).isFalse();
            assertThat(ns.hasDevice(ns.b(), "ghost")).isFalse();
            assertThat(ns.hasDevice(ns.b(), "zzfp")).isFalse();
            assertThat(ns.hasDevice(ns.a(), "zzfp")).isFalse();
            assertThat(log("server-1.log")).doesNotContain("replaces");
            // the good session was not disturbed
            assertThat(ping("10.19.28.1", 56)).isTrue();
        } finally {
            Netns.kill(bad);
        }
    }

    @Test
    @Order(3)
    void aNewerAuthenticatedConnectionReplacesTheOlderOne() throws Exception {
        String c = ns.addC();
        Files.writeString(dir.resolve("second.yaml"), clientYaml(TOKEN, fingerprint,
                new String[][] {{"dg", "10.19.29", "datagram", "off"}}, "stateD")
                .replace(Netns.A_ADDRESS + ":9000", Netns.A_TO_C_ADDRESS + ":9000"));
        Process second = ns.start(c, dir.resolve("second.log"), portico("serve", "-c", dir.resolve("second.yaml").toString()));
        try {
            await().atMost(UP).pollInterval(Duration.ofMillis(300)).until(() -> log("server-1.log")
                    .contains("session 'dg' from /" + Netns.C_ADDRESS));
            assertThat(log("server-1.log")).contains("replaces the connection from /" + Netns.B_ADDRESS);
            assertThat(log("client.log")).contains("the server closed the connection: replaced by a newer connection");
        } finally {
            Netns.kill(second);
        }
        // the first client dials again and has the session back
        await().atMost(UP).pollInterval(Duration.ofMillis(300)).until(() -> ping("10.19.29.1", 56));
    }

    @Test
    @Order(4)
    void randomDatagramsAtTheServerPortChangeNothing() throws Exception {
        String before = ns.exec(ns.a(), "ip", "-o", "link", "show").output();
        // 500 datagrams of random bytes and lengths, some shaped like QUIC short and long headers
        Netns.Result r = ns.exec(ns.b(), "bash", "-c", """
                for i in $(seq 1 500); do
                  n=$(( (RANDOM %% 1400) + 1 ))
                  case $((i %% 3)) in
                    0) { printf '\\x40'; head -c $n /dev/urandom; } ;;
                    1) { printf '\\xc3\\x00\\x00\\x00\\x01'; head -c $n /dev/urandom; } ;;
                    *) head -c $n /dev/urandom ;;
                  esac > /dev/udp/%s/9000
                done
                """.formatted(Netns.A_ADDRESS));
        assertThat(r.status()).as(r.output()).isZero();
        assertThat(server.isAlive()).isTrue();
        for (String[] s : SESSIONS) {
            assertThat(ping(s[1] + ".1", 56)).as("ping through %s after the junk", s[0]).isTrue();
        }
        assertThat(ns.exec(ns.a(), "ip", "-o", "link", "show").output()).isEqualTo(before);
        // no warning, let alone a stack trace, per junk datagram
        assertThat(log("server-1.log")).doesNotContain("Exception").doesNotContain("exceptionCaught");
    }

    @Test
    @Order(5)
    void aRestartedServerIsDialledAgainAndTheDeviceComesBack() throws Exception {
        // a slow download from the client side's web service, by a curl on the server side, crosses the restart
        Path crossing = dir.resolve("fetched-across");
        Process curl = ns.start(ns.a(), dir.resolve("curl-across.log"), List.of("curl", "-s", "-S", "--max-time", "240",
                "--limit-rate", "200k", "-o", crossing.toString(), "http://10.19.27.2:8080/blob"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(crossing) && Files.size(crossing) > 100_000);
        Netns.kill(server);
        // the client sees the connection die within its idle timeout, and takes its device down
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> !ns.hasDevice(ns.b(), "rel"));
        assertThat(ns.exec(ns.b(), "ip", "route", "show", "10.88.0.0/16").output()).isBlank();
        assertThat(log("scripts.log")).isEqualTo("rel 1\nrel 1\n"); // ifdown, before the device went
        server = startServer("server-2.log");
        await().atMost(UP).pollInterval(Duration.ofMillis(300))
                .until(() -> ns.hasDevice(ns.b(), "rel") && ping("10.19.27.1", 56));
        assertThat(client.isAlive()).isTrue();
        assertThat(ns.exec(ns.b(), "ip", "route", "show", "10.88.0.0/16").output()).contains("dev rel");
        await().atMost(Duration.ofSeconds(10)).until(() -> log("scripts.log").equals("rel 1\nrel 1\nrel 1\n"));
        Path out = dir.resolve("fetched-again");
        Netns.Result r = ns.exec(ns.b(), "curl", "-s", "--max-time", "60", "-o", out.toString(),
                "http://10.19.27.1:8080/blob");
        assertThat(r.status()).as(r.output()).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(blob);
        assertThat(log("client.log")).contains("dialling again");
        // the download went on at the TCP level once the device was back
        assertThat(curl.waitFor(240, TimeUnit.SECONDS)).isTrue();
        assertThat(curl.exitValue()).as(log("curl-across.log")).isZero();
        assertThat(Files.readAllBytes(crossing)).isEqualTo(blob);
    }
}
