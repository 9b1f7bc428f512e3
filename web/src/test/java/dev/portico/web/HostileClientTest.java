package dev.portico.web;

import dev.portico.web.http.HttpOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Malformed and hostile requests over raw sockets: a clear status, no crash, nothing leaked. */
@Timeout(30)
class HostileClientTest {

    @TempDir
    Path base;
    Path root;
    WebHarness web;

    @BeforeEach
    void setUp() throws Exception {
        root = Files.createDirectories(base.resolve("www"));
        Files.writeString(root.resolve("ok.txt"), "fine");
        Files.writeString(base.resolve("secret.txt"), "TOP SECRET");
        Files.createSymbolicLink(root.resolve("link-out.txt"), base.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("dir-out"), base);
        Files.createSymbolicLink(root.resolve("link-in.txt"), root.resolve("ok.txt"));
        web = new WebHarness();
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    private String send(String raw) throws Exception {
        try (Socket s = web.socket()) {
            return WebHarness.exchange(s, raw, null);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/..%2fsecret.txt", "/a/../../secret.txt",
            "/..\\secret.txt", "/%5c..%5csecret.txt", "/ok.txt%00.html", "/%c0%ae%c0%ae/secret.txt",
            "/%c0%af..%c0%afsecret.txt", "/%e0%80%ae%e0%80%ae/secret.txt", "/%ff", "/%zz", "/link-out.txt",
            "/dir-out/secret.txt", "//../secret.txt", "/./../secret.txt"})
    void neverReadsOutsideTheRoot(String path) throws Exception {
        web.start(WebConfig.builder().root(root));
        String r = send("GET " + path + " HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        assertThat(r).doesNotContain("TOP SECRET");
        assertThat(r).matches("(?s)HTTP/1.1 (400|403|404) .*");
    }

    @Test
    void symlinksInsideTheRootAreServed() throws Exception {
        web.start(WebConfig.builder().root(root));
        assertThat(send("GET /link-in.txt HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")).endsWith("fine");
    }

    @Test
    void symlinksOutMayBeAllowed() throws Exception {
        web.start(WebConfig.builder().root(root).followSymlinksOutside(true));
        assertThat(send("GET /link-out.txt HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")).endsWith("TOP SECRET");
    }

    @Test
    void limitsAnswerWithTheirStatus() throws Exception {
        web.start(WebConfig.builder().root(root).http(new HttpOptions(1024, 2048, 20, 1000, 100,
                Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(10))));
        assertThat(send("GET /" + "a".repeat(2000) + " HTTP/1.1\r\nHost: h\r\n\r\n")).startsWith("HTTP/1.1 414");
        assertThat(send("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + "b".repeat(3000) + "\r\n\r\n")).matches("(?s)HTTP/1.. 431.*");
        StringBuilder many = new StringBuilder("GET / HTTP/1.1\r\nHost: h\r\n");
        for (int i = 0; i < 30; i++) {
            many.append("X-H").append(i).append(": v\r\n");
        }
        assertThat(send(many + "\r\n")).startsWith("HTTP/1.1 431");
        assertThat(send("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n")).startsWith("HTTP/1.1 413");
        String chunkedTooBig = "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "7D0\r\n" + "c".repeat(2000) + "\r\n0\r\n\r\n";
        assertThat(send(chunkedTooBig)).matches("(?s)HTTP/1.1 (413|405).*");
    }

    @Test
    void conflictingFramingIsRefusedAndClosed() throws Exception {
        web.start(WebConfig.builder().root(root));
        String both = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                + "GET /ok.txt HTTP/1.1\r\nHost: h\r\n\r\n";
        String r = send(both);
        assertThat(r).startsWith("HTTP/1.1 400").contains("Connection: close").doesNotContain("fine");
        String dup = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde";
        assertThat(send(dup)).startsWith("HTTP/1.1 400");
        String dupSame = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd";
        assertThat(send(dupSame)).startsWith("HTTP/1.1 400");
        String badChunk = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n";
        assertThat(send(badChunk)).matches("(?s)HTTP/1.1 (400|405).*");
        String teNotChunked = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n";
        assertThat(send(teNotChunked)).startsWith("HTTP/1.1 400");
    }

    @Test
    void garbageGetsBadRequest() throws Exception {
        web.start(WebConfig.builder().root(root).http(new HttpOptions(8192, 16384, 100, 1000, 100,
                Duration.ofMillis(500), Duration.ofSeconds(60), Duration.ofMillis(500))));
        assertThat(send("HELLO\r\n\r\n")).matches("(?s)HTTP/1.1 (400|408) .*");
        assertThat(send("GET / HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(send("GET / HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(send("GET / HTTP/9.9\r\nHost: h\r\n\r\n")).contains(" 505 ");
        // the server is still fine afterwards
        assertThat(send("GET /ok.txt HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")).endsWith("fine");
    }

    @Test
    void slowHeadersAreCutOff() throws Exception {
        web.start(WebConfig.builder().root(root).http(new HttpOptions(8192, 16384, 100, 1000, 100,
                Duration.ofMillis(500), Duration.ofSeconds(60), Duration.ofMillis(500))));
        try (Socket s = web.socket()) {
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: h\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long start = System.nanoTime();
            String r = WebHarness.readUntil(s, null);
            assertThat(r).startsWith("HTTP/1.1 408");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
        // a slow body too
        try (Socket s = web.socket()) {
            OutputStream out = s.getOutputStream();
            out.write("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nab".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String r = WebHarness.readUntil(s, null);
            assertThat(r).contains("HTTP/1.1");
        }
    }

    @Test
    void idleKeepAliveConnectionsAreClosed() throws Exception {
        web.start(WebConfig.builder().root(root).http(new HttpOptions(8192, 16384, 100, 1000, 100,
                Duration.ofSeconds(5), Duration.ofMillis(300), Duration.ofSeconds(5))));
        try (Socket s = web.socket()) {
            String r = WebHarness.exchange(s, "GET /ok.txt HTTP/1.1\r\nHost: h\r\n\r\n", "fine");
            assertThat(r).startsWith("HTTP/1.1 200");
            InputStream in = s.getInputStream();
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void connectionsAboveTheLimitGet503() throws Exception {
        web.start(WebConfig.builder().root(root).http(new HttpOptions(8192, 16384, 100, 1000, 3,
                Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(10))));
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                Socket s = web.socket();
                held.add(s);
                WebHarness.exchange(s, "GET /ok.txt HTTP/1.1\r\nHost: h\r\n\r\n", "fine");
            }
            try (Socket extra = web.socket()) {
                assertThat(WebHarness.readUntil(extra, null)).startsWith("HTTP/1.1 503");
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> web.server.openConnections() == 0);
        assertThat(send("GET /ok.txt HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")).endsWith("fine");
    }
}
