package dev.portico.upstream.health;

import com.sun.net.httpserver.HttpServer;
import dev.portico.upstream.Backend;
import dev.portico.core.net.HostPort;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Every probe against real sockets on 127.0.0.1. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ProbeSocketTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static EventLoopGroup group;
    private static ProbeTransport transport;
    private static HttpServer http;
    private static final AtomicReference<String> lastHost = new AtomicReference<>();

    @BeforeAll
    static void setUp() throws IOException {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        transport = ProbeTransport.of(group, NioSocketChannel.class);
        http = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
        http.createContext("/ok", exchange -> {
            lastHost.set(exchange.getRequestHeaders().getFirst("Host"));
            respond(exchange, 200, "all good here", false);
        });
        http.createContext("/chunked", exchange -> respond(exchange, 200, "streamed and good", true));
        http.createContext("/fail", exchange -> respond(exchange, 503, "overloaded", false));
        http.start();
    }

    private static void respond(com.sun.net.httpserver.HttpExchange exchange, int status, String body, boolean chunked)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, chunked ? 0 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @AfterAll
    static void tearDown() {
        http.stop(0);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static Backend backendOn(int port) {
        return Backend.builder(new HostPort(LOOPBACK.getHostAddress(), port)).build();
    }

    private static ProbeResult run(HealthCheckConfig config, Backend backend) {
        return Probes.forConfig(config, transport, false).check(backend).orTimeout(10, TimeUnit.SECONDS).join();
    }

    private static HealthCheckConfig.Builder httpCheck(String path) {
        // A generous timeout: these tests are about what the probe reads, not about time, and a
        // loaded CI machine can stall the test server for longer than the 1 s default.
        return HealthCheckConfig.builder(HealthCheckType.HTTP).path(path).timeout(Duration.ofSeconds(10));
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    @Test
    void tcpPassesAgainstAListeningSocket() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            ProbeResult r = run(HealthCheckConfig.parse("tcp"), backendOn(server.getLocalPort()));
            assertThat(r.healthy()).isTrue();
            assertThat(r.detail()).startsWith("tcp connect to 127.0.0.1:" + server.getLocalPort() + " in ");
        }
    }

    @Test
    void tcpFailsWhenRefused() throws IOException {
        int port = closedPort();
        ProbeResult r = run(HealthCheckConfig.parse("tcp"), backendOn(port));
        assertThat(r.healthy()).isFalse();
        assertThat(r.detail()).contains("127.0.0.1:" + port).containsIgnoringCase("refused")
                .doesNotContain("Exception").doesNotContain(": /127.0.0.1").doesNotContain("(..)");
    }

    @Test
    void tcpAndHttpReachABackendGivenByNameAndReportOneThatDoesNotResolve() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            ProbeResult r = run(HealthCheckConfig.parse("tcp"), Backend.of("localhost:" + server.getLocalPort()));
            assertThat(r.healthy()).isTrue();
        }
        ProbeResult http = run(httpCheck("/ok").build(), Backend.of("localhost:" + ProbeSocketTest.http.getAddress().getPort()));
        assertThat(http.healthy()).as(http.detail()).isTrue();
        ProbeResult unknown = run(HealthCheckConfig.parse("tcp"), Backend.of("no-such-host.invalid:80"));
        assertThat(unknown.healthy()).isFalse();
        assertThat(unknown.detail()).contains("cannot resolve no-such-host.invalid:80");
    }

    @Test
    void tcpUsesTheCheckPortWhenConfigured() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            HealthCheckConfig config = HealthCheckConfig.builder(HealthCheckType.TCP).port(server.getLocalPort()).build();
            assertThat(run(config, backendOn(closedPort())).healthy()).isTrue();
        }
    }

    @Test
    void httpPassesOnExpectedStatusAndSendsHostHeader() {
        Backend backend = backendOn(http.getAddress().getPort());
        ProbeResult r = run(httpCheck("/ok").build(), backend);
        assertThat(r).isEqualTo(ProbeResult.passed("http /ok: status 200"));
        assertThat(lastHost.get()).isEqualTo("127.0.0.1:" + http.getAddress().getPort());

        assertThat(run(httpCheck("/ok").hostHeader("www.example.org").build(), backend).healthy()).isTrue();
        assertThat(lastHost.get()).isEqualTo("www.example.org");
    }

    @Test
    void httpFailsOnUnexpectedStatus() {
        Backend backend = backendOn(http.getAddress().getPort());
        assertThat(run(httpCheck("/fail").build(), backend))
                .isEqualTo(ProbeResult.failed("http /fail: status 503 (expected 2xx,3xx)"));
        assertThat(run(httpCheck("/fail").expect("200-299,503").build(), backend).healthy()).isTrue();
        assertThat(run(httpCheck("/missing").build(), backend).detail()).contains("status 404");
    }

    @Test
    void httpChecksBodySubstringInFixedAndChunkedBodies() {
        Backend backend = backendOn(http.getAddress().getPort());
        assertThat(run(httpCheck("/ok").bodyContains("good").build(), backend))
                .isEqualTo(ProbeResult.passed("http /ok: status 200, body matched"));
        assertThat(run(httpCheck("/chunked").bodyContains("and good").build(), backend).healthy()).isTrue();
        assertThat(run(httpCheck("/ok").bodyContains("bad").build(), backend))
                .isEqualTo(ProbeResult.failed("http /ok: status 200, body lacks \"bad\""));
    }

    @Test
    void httpTimesOutOnASilentServer() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 50, LOOPBACK)) {
            HealthCheckConfig config = httpCheck("/").timeout(Duration.ofMillis(300)).build();
            ProbeResult r = run(config, backendOn(silent.getLocalPort()));
            assertThat(r.healthy()).isFalse();
            assertThat(r.detail()).isEqualTo("http 127.0.0.1:" + silent.getLocalPort()
                    + "/: timed out after 300ms waiting for the response head");
        }
    }

    @Test
    void httpTimesOutInTheBodyWhenItWaitsForTextThatDoesNotCome() throws Exception {
        byte[] head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst part".getBytes(StandardCharsets.US_ASCII);
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            Thread.ofVirtual().start(() -> answerAndKeepOpen(server, head, 1));
            HealthCheckConfig config = httpCheck("/").bodyContains("second part").timeout(Duration.ofMillis(300)).build();
            ProbeResult r = run(config, backendOn(server.getLocalPort()));
            assertThat(r.detail()).isEqualTo("http 127.0.0.1:" + server.getLocalPort()
                    + "/: timed out after 300ms reading the body");
        }
    }

    @Test
    void httpJudgesAKeepAliveAnswerWithoutWaitingForTheServerToClose() throws Exception {
        // As nginx answers with keep-alive on, and here even to a request with Connection: close.
        byte[] answer = ("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n"
                + "Connection: keep-alive\r\n\r\nalive and well").getBytes(StandardCharsets.US_ASCII);
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            AtomicInteger closedByProbe = new AtomicInteger();
            Thread.ofVirtual().start(() -> closedByProbe.addAndGet(answerAndKeepOpen(server, answer, 2)));
            Backend backend = backendOn(server.getLocalPort());
            // A timeout far longer than the test's: only a probe that judges at once passes here.
            assertThat(run(httpCheck("/").timeout(Duration.ofSeconds(60)).build(), backend))
                    .isEqualTo(ProbeResult.passed("http /: status 200"));
            assertThat(run(httpCheck("/").bodyContains("and well").timeout(Duration.ofSeconds(60)).build(), backend))
                    .isEqualTo(ProbeResult.passed("http /: status 200, body matched"));
            await().until(() -> closedByProbe.get() == 2);
        }
    }

    /**
     * Accepts {@code connections} connections one after another, answers each one's request head
     * with {@code answer} and never closes it; returns how many the client closed.
     */
    private static int answerAndKeepOpen(ServerSocket server, byte[] answer, int connections) {
        int closed = 0;
        for (int i = 0; i < connections; i++) {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                int last4 = 0;
                while (last4 != 0x0d0a0d0a) {
                    int c = in.read();
                    if (c < 0) {
                        return closed;
                    }
                    last4 = (last4 << 8) | c;
                }
                s.getOutputStream().write(answer);
                s.getOutputStream().flush();
                if (in.read() < 0) {
                    closed++;
                }
            } catch (IOException e) {
                return closed;
            }
        }
        return closed;
    }

    @Test
    void httpFailsWhenRefused() throws IOException {
        ProbeResult r = run(httpCheck("/").build(), backendOn(closedPort()));
        assertThat(r.healthy()).isFalse();
        assertThat(r.detail()).contains("connect failed");
    }

    @Test
    void icmpWithoutPermissionFallsBackToTcp() throws IOException {
        Probe probe = Probes.forConfig(HealthCheckConfig.parse("icmp"), transport, false);
        assertThat(probe).hasToString("icmp (tcp fallback)");
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            ProbeResult up = probe.check(backendOn(server.getLocalPort())).orTimeout(10, TimeUnit.SECONDS).join();
            assertThat(up.healthy()).isTrue();
            assertThat(up.detail()).startsWith("tcp connect");
        }
        ProbeResult down = probe.check(backendOn(closedPort())).orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(down.healthy()).isFalse();
    }

    @Test
    void icmpEchoReachesLoopbackWhenAllowed() {
        Probe probe = Probes.forConfig(HealthCheckConfig.parse("icmp"), transport, true);
        assertThat(probe).hasToString("icmp");
        ProbeResult r = probe.check(backendOn(9)).orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(r.healthy()).isTrue();
        assertThat(r.detail()).startsWith("icmp echo from 127.0.0.1");
    }

    @Test
    void icmpReportsUnresolvableHosts() {
        Probe probe = Probes.forConfig(HealthCheckConfig.parse("icmp"), transport, true);
        ProbeResult r = probe.check(Backend.of("no-such-host.invalid:80")).orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(r.healthy()).isFalse();
        assertThat(r.detail()).contains("UnknownHostException");
    }
}
