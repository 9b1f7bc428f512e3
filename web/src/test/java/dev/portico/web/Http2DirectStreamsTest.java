package dev.portico.web;

import ch.qos.logback.classic.Level;
import dev.portico.testing.LogCapture;
import dev.portico.web.h2.Http2Options;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A GET or HEAD whose HEADERS end the stream is served on the h2 connection's own pipeline; the
 * same request whose end comes in an empty DATA frame goes through a child channel. Both must
 * answer alike: status, fields (but Date), body, and access log line, for every kind of static
 * answer (from memory, from a file read in chunks, in parts, 304, 404, a redirect, a gzip
 * variant).
 */
@Timeout(60)
class Http2DirectStreamsTest {

    @TempDir
    Path root;
    @TempDir
    Path work;
    WebHarness web;

    @BeforeEach
    void setUp() throws Exception {
        Files.writeString(root.resolve("hello.txt"), "hello over h2\n");
        StringBuilder page = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            page.append("<p>line ").append(i).append(" of a page that compresses well</p>\n");
        }
        Files.writeString(root.resolve("page.html"), page);
        Files.writeString(root.resolve("a.html"), page);
        Files.writeString(root.resolve("b.html"), page);
        byte[] big = new byte[48 * 1024 + 7];
        new Random(16).nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("sub/index.html"), "sub\n");
        web = new WebHarness().start(WebConfig.builder().root(root).gzip(true).cacheMaxFileSize(16 * 1024)
                .accessLog(work.resolve("access.log"))
                .http2(Http2Options.defaults().withH2c(true)));
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    @Test
    void directAndChildChannelStreamsAnswerAlike() throws Exception {
        List<String[]> requests = List.of(
                new String[] {"GET", "/hello.txt"},
                new String[] {"HEAD", "/hello.txt"},
                new String[] {"GET", "/hello.txt", "range", "bytes=0-4"},
                new String[] {"GET", "/page.html", "accept-encoding", "gzip"},
                new String[] {"GET", "/big.bin"},
                new String[] {"HEAD", "/big.bin"},
                new String[] {"GET", "/big.bin", "range", "bytes=100-30000"},
                new String[] {"GET", "/big.bin", "range", "bytes=1-2,10-20,40000-40010"},
                new String[] {"GET", "/missing"},
                new String[] {"GET", "/sub"},
                new String[] {"GET", "/sub/"});
        int stream = 1;
        try (RawH2 c = new RawH2(web.port())) {
            c.windowUpdate(0, 1 << 24);
            String etag = null;
            for (String[] r : requests) {
                // Once before, so that both see the same state (a gzip variant cached by the first).
                exchange(c, stream, r, true);
                RawH2.Response direct = exchange(c, stream + 2, r, true);
                RawH2.Response child = exchange(c, stream + 4, r, false);
                stream += 6;
                String what = String.join(" ", r);
                assertThat(child.status()).as(what).isEqualTo(direct.status());
                assertThat(fields(child)).as(what).isEqualTo(fields(direct));
                assertThat(body(child)).as(what).isEqualTo(body(direct));
                if (r[1].equals("/hello.txt") && r.length == 2 && r[0].equals("GET")) {
                    etag = direct.headers().get("etag").toString();
                    assertThat(new String(direct.body(), StandardCharsets.UTF_8)).isEqualTo("hello over h2\n");
                }
            }
            // A conditional answered 304 on both paths.
            String[] conditional = {"GET", "/hello.txt", "if-none-match", etag};
            exchange(c, stream, conditional, true);
            RawH2.Response direct = exchange(c, stream + 2, conditional, true);
            RawH2.Response child = exchange(c, stream + 4, conditional, false);
            stream += 6;
            assertThat(direct.status()).isEqualTo(304);
            assertThat(fields(child)).isEqualTo(fields(direct));
            assertThat(child.body()).isEmpty();
            assertThat(direct.body()).isEmpty();

            // A gzip variant made while it streams (the first request of a file), on each path.
            RawH2.Response streamedDirect = exchange(c, stream, new String[] {"GET", "/a.html", "accept-encoding", "gzip"}, true);
            RawH2.Response streamedChild = exchange(c, stream + 2, new String[] {"GET", "/b.html", "accept-encoding", "gzip"}, false);
            for (RawH2.Response r : List.of(streamedDirect, streamedChild)) {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.headers().get("content-encoding").toString()).isEqualTo("gzip");
                assertThat(r.headers().contains("content-length")).isFalse();
                assertThat(new String(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(r.body()))
                        .readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(Files.readString(root.resolve("page.html")));
            }
            Map<String, List<String>> a = fields(streamedDirect);
            Map<String, List<String>> b = fields(streamedChild);
            a.remove("etag");
            a.remove("last-modified");
            b.remove("etag");
            b.remove("last-modified");
            assertThat(b).isEqualTo(a);
        }
        int logged = 3 * (requests.size() + 1) + 2;
        await().untilAsserted(() -> assertThat(Files.readAllLines(work.resolve("access.log"))).hasSize(logged));
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(work.resolve("access.log"))) {
            // Without the time: the rest (client, request, protocol, status, bytes, agent) must match.
            lines.add(line.replaceFirst("\\[[^]]*]", "[]"));
        }
        for (int i = 0; i < logged - 2; i += 3) {
            assertThat(lines.get(i + 2)).isEqualTo(lines.get(i + 1)).contains("HTTP/2.0");
        }
        assertThat(lines.get(logged - 1)).isEqualTo(lines.get(logged - 2).replace("/a.html", "/b.html"));
    }

    @Test
    void headersTheCodecRefusesAfterOpeningTheStreamGetAResetAndTheConnectionServesOn() throws Exception {
        // A GET that ends with its HEADERS yet announces a body: the codec opens the stream, then
        // refuses the block (content-length 5, no DATA) before any frame is passed on.
        try (LogCapture netty = new LogCapture("io.netty", Level.WARN);
             RawH2 c = new RawH2(web.port())) {
            c.request(1, RawH2.get("/hello.txt").add("content-length", "5"), true);
            RawH2.Frame reset = null;
            while (reset == null) {
                RawH2.Frame f = c.read();
                assertThat(f).as("the connection stays open").isNotNull();
                if (f.type() == RawH2.RST_STREAM && f.stream() == 1) {
                    reset = f;
                }
            }
            // The stream's child channel takes the codec's error and closes: CANCEL, as before.
            assertThat(reset.errorCode()).isEqualTo(8);
            c.request(3, RawH2.get("/hello.txt"), true);
            RawH2.Response ok = c.response(3);
            assertThat(ok.status()).isEqualTo(200);
            assertThat(new String(ok.body(), StandardCharsets.UTF_8)).isEqualTo("hello over h2\n");
            assertThat(netty.messages(Level.WARN)).isEmpty();
        }
    }

    /**
     * One request on {@code stream}: its HEADERS end the stream ({@code direct}), or an empty
     * DATA frame does (a child channel serves it).
     */
    private static RawH2.Response exchange(RawH2 c, int stream, String[] r, boolean direct) throws Exception {
        Http2Headers h = RawH2.get(r[1]).method(r[0]);
        for (int i = 2; i < r.length; i += 2) {
            h.add(r[i], r[i + 1]);
        }
        c.request(stream, h, direct);
        if (!direct) {
            c.frame(RawH2.DATA, RawH2.END_STREAM, stream, new byte[0]);
            c.flush();
        }
        return c.response(stream);
    }

    /**
     * The response's fields but Date. A multipart answer's boundary is random, and so is its
     * length: the boundary is replaced by one name, and the content-length checked against the
     * body, then left out.
     */
    private static Map<String, List<String>> fields(RawH2.Response r) {
        Map<String, List<String>> out = new TreeMap<>();
        r.headers().forEach(e -> {
            String name = e.getKey().toString();
            if (!name.equals("date")) {
                out.computeIfAbsent(name, k -> new ArrayList<>()).add(e.getValue().toString()
                        .replaceFirst("boundary=\\w+", "boundary=B"));
            }
        });
        if (out.getOrDefault("content-type", List.of("")).get(0).contains("boundary=")) {
            assertThat(out.remove("content-length")).containsExactly(String.valueOf(r.body().length));
        }
        return out;
    }

    /** The body, with a multipart answer's boundary replaced by one name. */
    private static String body(RawH2.Response r) {
        String text = new String(r.body(), StandardCharsets.ISO_8859_1);
        CharSequence type = r.headers().get("content-type");
        if (type != null && type.toString().contains("boundary=")) {
            String boundary = type.toString().replaceFirst(".*boundary=", "");
            text = text.replace(boundary, "B");
        }
        return text;
    }
}
