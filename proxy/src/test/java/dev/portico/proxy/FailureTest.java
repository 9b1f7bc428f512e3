package dev.portico.proxy;

import dev.portico.core.net.HostPort;
import dev.portico.upstream.health.HealthCheckConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Retries, the 502/503/504 mapping, malformed backends and smuggling attempts. */
@Timeout(30)
class FailureTest {

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static PoolSpec pool(String... addresses) {
        return new PoolSpec(java.util.Arrays.stream(addresses).map(HostPort::parse).toList(), "roundrobin",
                HealthCheckConfig.parse("none"));
    }

    private void startWith(Origin.Script script) throws IOException {
        Origin o = h.origin("o", script);
        h.start(ProxyHarness.config().pool("*", pool(o.address())).build());
    }

    private static Origin.Script raw(String response) {
        return (req, in, out) -> {
            out.write(response.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return false;
        };
    }

    @Test
    void aRefusedConnectionIsRetriedOnAnotherBackend() throws Exception {
        Origin o = h.named("up");
        String dead = "127.0.0.1:" + freePort();
        h.start(ProxyHarness.config().pool("*", pool(dead, o.address())).retries(1).build());
        everyRequestIsAnsweredBy("up");
    }

    /** Four requests in a row, whichever backend the scheduler tries first, all get {@code text}. */
    private void everyRequestIsAnsweredBy(String text) throws Exception {
        for (int i = 0; i < 4; i++) {
            Http.Response r = h.get("x", "/" + i);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo(text);
        }
    }

    @Test
    void aBackendGivenByNameIsLookedUpOffTheLoopAndOneThatDoesNotResolveIsRetriedOnAnother() throws Exception {
        Origin o = h.named("up");
        String byName = "localhost:" + HostPort.parse(o.address()).port();
        h.start(ProxyHarness.config().pool("*", pool("no-such-host.invalid:80", byName)).retries(1).build());
        everyRequestIsAnsweredBy("up");
    }

    @Test
    void aNameThatDoesNotResolveGives502() throws Exception {
        h.start(ProxyHarness.config().pool("*", pool("no-such-host.invalid:80")).build());
        Http.Response r = h.get("x", "/");
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.text()).startsWith("502 Bad Gateway");
    }

    @Test
    void refusedGives502ThenNoHealthyBackendGives503() throws Exception {
        h.start(ProxyHarness.config().pool("*", pool("127.0.0.1:" + freePort())).build());
        Http.Response first = h.get("x", "/");
        assertThat(first.status()).isEqualTo(502);
        assertThat(first.text()).startsWith("502 Bad Gateway");
        // The failed connect marked the only backend down: nothing is left to try.
        Http.Response second = h.get("x", "/");
        assertThat(second.status()).isEqualTo(503);
        assertThat(second.text()).contains("no healthy backend");
    }

    @Test
    void aHostWithoutPoolGets503() throws Exception {
        Origin o = h.named("o");
        h.start(ProxyHarness.config().pool("only.example.com", pool(o.address())).build());
        assertThat(h.get("other.example.com", "/").status()).isEqualTo(503);
        assertThat(h.get("only.example.com", "/").status()).isEqualTo(200);
    }

    @Test
    void aSilentBackendGives504() throws Exception {
        Origin o = h.origin("slow", (req, in, out) -> {
            in.read();
            return false;
        });
        h.start(ProxyHarness.config().pool("*", pool(o.address())).firstByteTimeout(Duration.ofMillis(300)).build());
        Http.Response r = h.get("x", "/");
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.text()).contains("did not answer in time");
    }

    @Test
    void aConnectTimeoutGives504() throws Exception {
        // A listener that never accepts, with its tiny accept queue filled: further SYNs are dropped.
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<java.net.Socket> fillers = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                java.net.Socket s = new java.net.Socket();
                try {
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), full.getLocalPort()), 200);
                } catch (IOException e) {
                    // the queue is full
                }
                fillers.add(s);
            }
            h.start(ProxyHarness.config().pool("*", pool("127.0.0.1:" + full.getLocalPort()))
                    .connectTimeout(Duration.ofMillis(300)).retries(0).build());
            Http.Response r = h.get("x", "/");
            assertThat(r.status()).isEqualTo(504);
            assertThat(r.text()).contains("did not answer in time");
            for (java.net.Socket s : fillers) {
                s.close();
            }
        }
    }

    @Test
    void aStalePooledConnectionIsRetried() throws Exception {
        Origin o = h.named("o");
        h.start(ProxyHarness.config().pool("*", pool(o.address())).build());
        try (ProxyHarness.Client c = h.client()) {
            assertThat(c.get("x", "/1").text()).isEqualTo("o");
            await().until(() -> o.connections.get() == 1);
            o.dropConnections();
            assertThat(c.get("x", "/2").text()).isEqualTo("o");
        }
        assertThat(o.connections.get()).isEqualTo(2);
    }

    @Test
    void aPooledConnectionClosedByTheBackendInsteadOfAnsweringIsRetried() throws Exception {
        java.util.Map<Integer, Integer> perConnection = new java.util.concurrent.ConcurrentHashMap<>();
        Origin o = h.origin("o", (req, in, out) -> {
            // Like a backend whose keep-alive timer fired just as the request came in.
            if (perConnection.merge(req.connection(), 1, Integer::sum) > 1) {
                return false;
            }
            return Origin.text(out, 200, "fresh " + req.connection());
        });
        h.start(ProxyHarness.config().pool("*", pool(o.address())).build());
        try (ProxyHarness.Client c = h.client()) {
            assertThat(c.get("x", "/1").text()).isEqualTo("fresh 1");
            assertThat(c.get("x", "/2").text()).isEqualTo("fresh 2");
            assertThat(h.proxy.upstreamConnectionsReused()).isEqualTo(1);
            // A request with a body is not replayed: the client gets a 502.
            c.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
            assertThat(c.read(false).status()).isEqualTo(502);
        }
    }

    @Test
    void aBadStatusLineGives502() throws Exception {
        startWith(raw("HTTP/1.1 abc Nope\r\nContent-Length: 0\r\n\r\n"));
        assertThat(h.get("x", "/").status()).isEqualTo(502);
    }

    @Test
    void garbageGives502() throws Exception {
        startWith(raw("SSH-2.0-OpenSSH_9.6\r\n\r\n"));
        assertThat(h.get("x", "/").status()).isEqualTo(502);
    }

    @Test
    void aCloseBeforeAnsweringGives502() throws Exception {
        startWith((req, in, out) -> false);
        assertThat(h.get("x", "/").status()).isEqualTo(502);
    }

    @Test
    void aBadChunkClosesTheClientConnection() throws Exception {
        startWith(raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n"));
        try (ProxyHarness.Client c = h.client()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Head head = Http.head(c.in);
            if (head != null && head.status() == 200) {
                // The head went out before the bad chunk: the body ends early with a close.
                assertThat(c.in.readAllBytes().length).isLessThan(20);
            } else {
                assertThat(head).isNotNull();
                assertThat(head.status()).isEqualTo(502);
            }
        }
    }

    @Test
    void aTruncatedBodyClosesTheClientConnection() throws Exception {
        startWith(raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a few bytes"));
        try (ProxyHarness.Client c = h.client()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Head head = Http.head(c.in);
            assertThat(head.length()).isEqualTo(100);
            assertThat(c.in.readAllBytes()).hasSizeLessThan(100);
        }
    }

    @Test
    void conflictingFramingNeverReachesABackend() throws Exception {
        Origin o = h.named("o");
        h.start(ProxyHarness.config().pool("*", pool(o.address())).build());
        try (ProxyHarness.Client c = h.client()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response r = c.read(false);
            assertThat(r.status()).isEqualTo(400);
            assertThat(c.in.read()).isEqualTo(-1);
        }
        assertThat(o.seen).isEmpty();
        assertThat(o.connections.get()).isZero();
    }

    @Test
    void aTooLargeResponseHeadGives502() throws Exception {
        startWith(raw("HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(20_000) + "\r\nContent-Length: 0\r\n\r\n"));
        assertThat(h.get("x", "/").status()).isEqualTo(502);
    }

    @Test
    void theProxyStillServesAfterBadBackends() throws Exception {
        Origin bad = h.origin("bad", (req, in, out) -> {
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab".getBytes(StandardCharsets.US_ASCII));
            return false;
        });
        Origin good = h.named("good");
        h.start(ProxyHarness.config().pool("*", pool(bad.address())).pool("good", pool(good.address())).build());
        for (int i = 0; i < 10; i++) {
            try (ProxyHarness.Client c = h.client()) {
                c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
                c.in.readAllBytes();
            }
        }
        assertThat(h.get("good", "/").text()).isEqualTo("good");
        assertThat(List.of(bad.seen.size())).containsExactly(10);
    }
}
