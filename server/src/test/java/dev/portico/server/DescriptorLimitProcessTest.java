package dev.portico.server;

import dev.portico.core.limits.DescriptorBudget;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A flood of idle connections against a process with few file descriptors ({@code prlimit}):
 * the connection caps derived from the limit turn the excess away (503) before the descriptors
 * run out, so the admin endpoint and DNS over TCP keep answering; caps configured above the limit
 * are warned about once at start, and near the limit the idle connections are closed.
 */
@Timeout(180)
class DescriptorLimitProcessTest {

    private static final int LIMIT = 512;
    private static final int FLOOD = 600;
    private static final String TOKEN = "t1";

    @TempDir
    Path dir;

    private final List<SocketChannel> flood = new ArrayList<>();

    @BeforeEach
    void needPrlimit() {
        assumeTrue(PorticoProcess.canLimit(), "Linux with prlimit only");
    }

    @AfterEach
    void closeFlood() throws IOException {
        for (SocketChannel c : flood) {
            c.close();
        }
    }

    private Path config(String webLimits) throws IOException {
        Files.createDirectories(dir.resolve("site"));
        Files.writeString(dir.resolve("site/index.html"), "hello");
        Files.writeString(dir.resolve("example.test.zone"), """
                $ORIGIN example.test.
                $TTL 300
                @    IN SOA ns1 hostmaster 1 3600 600 86400 60
                @    IN NS  ns1
                ns1  IN A   127.0.0.1
                """);
        return Files.writeString(dir.resolve("portico.yaml"), """
                workers: 2
                shutdown_grace: 1s
                admin:
                  listen: 127.0.0.1:0
                  token: %s
                services:
                  site:
                    type: web
                    listen: 127.0.0.1:0
                    root: site
                %s
                  names:
                    type: dns
                    listen: [127.0.0.1:0]
                    zones: {example.test: example.test.zone}
                """.formatted(TOKEN, webLimits));
    }

    private static int webPort(PorticoProcess p) {
        return Integer.parseInt(p.find("^  service site \\(web\\): http://127\\.0\\.0\\.1:(\\d+)/").orElseThrow());
    }

    private static int dnsPort(PorticoProcess p) {
        return Integer.parseInt(p.find("^  service names \\(dns\\): dns udp\\+tcp 127\\.0\\.0\\.1:(\\d+)").orElseThrow());
    }

    private static int adminPort(PorticoProcess p) {
        return Integer.parseInt(p.adminUrl().replaceAll(".*:", ""));
    }

    /** Opens {@code n} connections that never send anything. */
    private void flood(int port, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
            c.configureBlocking(false);
            flood.add(c);
        }
    }

    /** How many flood connections the server has closed, and how many of those after a 503. */
    private int[] closedByServer() throws IOException {
        int closed = 0;
        int busy = 0;
        ByteBuffer buf = ByteBuffer.allocate(512);
        for (SocketChannel c : flood) {
            if (!c.isOpen()) {
                continue;
            }
            buf.clear();
            int n;
            try {
                n = c.read(buf);
            } catch (IOException reset) {
                n = -1;
            }
            if (n > 0 && new String(buf.array(), 0, n, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 503")) {
                busy++;
                c.close();
                closed++;
            } else if (n < 0) {
                c.close();
                closed++;
            }
        }
        return new int[] {closed, busy};
    }

    private int closedSoFar;
    private int busySoFar;

    private void tally() throws IOException {
        int[] now = closedByServer();
        closedSoFar += now[0];
        busySoFar += now[1];
    }

    /** One request on a new connection: the status line, or null when the connection closed without one. */
    private static String ask(int port, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            int n = in.read(buf);
            return n <= 0 ? null : new String(buf, 0, n, StandardCharsets.US_ASCII).lines().findFirst().orElse(null);
        } catch (SocketException reset) {
            return null;
        }
    }

    private static String healthz(int adminPort) throws IOException {
        return ask(adminPort, "GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                + "\r\nConnection: close\r\n\r\n");
    }

    private static Message dnsOverTcp(int port) throws IOException {
        SimpleResolver r = new SimpleResolver(new InetSocketAddress("127.0.0.1", port));
        r.setTCP(true);
        r.setTimeout(Duration.ofSeconds(5));
        return r.send(Message.newQuery(Record.newRecord(Name.fromString("example.test."), Type.SOA, DClass.IN)));
    }

    @Test
    void theDerivedCapTurnsAFloodAwayWhileAdminAndDnsOverTcpAnswer() throws Exception {
        try (PorticoProcess p = PorticoProcess.startLimited(dir, LIMIT, "serve", "-c", config("").toString())) {
            p.awaitOut("Ready.");
            assertThat(p.find("^  file descriptors: (\\d+)")).hasValue(Integer.toString(LIMIT));
            int cap = new DescriptorBudget(LIMIT, DescriptorBudget.DEFAULT_ADMIN_CONNECTIONS, 2, true)
                    .defaultMaxConnections(1);
            int web = webPort(p);

            flood(web, FLOOD);
            // Every connection above the cap gets its 503 and is closed; the ones within it stay.
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                tally();
                return closedSoFar >= FLOOD - cap;
            });
            assertThat(busySoFar).isEqualTo(FLOOD - cap);
            assertThat(p.openDescriptors()).isLessThan(LIMIT);

            assertThat(ask(web, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")).isEqualTo("HTTP/1.1 503 Service Unavailable");
            assertThat(healthz(adminPort(p))).isEqualTo("HTTP/1.1 200 OK");
            Message answer = dnsOverTcp(dnsPort(p));
            assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(answer.getSection(1)).isNotEmpty();

            closeFlood();
            flood.clear();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> "HTTP/1.1 200 OK".equals(ask(web, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
            assertThat(p.err()).noneMatch(l -> l.contains("cannot accept"));
        }
    }

    @Test
    void capsAboveTheLimitAreWarnedOnceAndIdleConnectionsAreClosedNearIt() throws Exception {
        String limits = "    limits: {connections: 5000}";
        try (PorticoProcess p = PorticoProcess.startLimited(dir, LIMIT, "serve", "-c", config(limits).toString())) {
            p.awaitOut("Ready.");
            assertThat(p.err()).filteredOn(l -> l.contains("connection caps can take more file descriptors"))
                    .singleElement().satisfies(l -> assertThat(l).contains("WARN", "limit of 512",
                            "site connections 5000", "names tcp connections", "admin 64"));
            int web = webPort(p);
            int admin = adminPort(p);

            flood(web, FLOOD);
            // Near the limit the longest-idle connections are closed (without a 503: they sent
            // nothing), which makes room for the admin endpoint and DNS over TCP.
            p.awaitErr("idle keep-alive connections", 0);
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> "HTTP/1.1 200 OK".equals(healthz(admin)));
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> dnsOverTcp(dnsPort(p)).getRcode() == Rcode.NOERROR);
            tally();
            assertThat(closedSoFar - busySoFar).isPositive();
            // A failing accept pauses and is logged once per listener and interval, not per attempt.
            assertThat(p.err()).filteredOn(l -> l.contains("cannot accept")).hasSizeLessThanOrEqualTo(8);
            assertThat(p.err()).noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception"));
        }
    }
}
