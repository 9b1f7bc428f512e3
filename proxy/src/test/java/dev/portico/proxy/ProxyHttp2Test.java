package dev.portico.proxy;

import dev.portico.proxy.cache.CacheConfig;
import dev.portico.proxy.cache.CacheKey;
import dev.portico.web.h2.Http2Options;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** HTTP/2 clients (h2c with prior knowledge, curl and h2load) through the proxy to HTTP/1.1 backends. */
@Timeout(90)
class ProxyHttp2Test {

    private final ProxyHarness h = new ProxyHarness();
    @TempDir
    Path work;

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private record Answer(String protocol, int status, Map<String, String> headers, String body) {
    }

    /** curl --http2-prior-knowledge to the proxy, with Host x. */
    private Answer curl(String path, String... args) throws IOException, InterruptedException {
        Path head = Files.createTempFile(work, "head", ".txt");
        Path body = Files.createTempFile(work, "body", ".txt");
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--http2-prior-knowledge", "--max-time", "30",
                "-H", "Host: x", "-D", head.toString(), "-o", body.toString(), "-w", "%{http_version}"));
        cmd.addAll(List.of(args));
        cmd.add("http://127.0.0.1:" + h.proxy.port() + path);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Map<String, String> fields = new LinkedHashMap<>();
        int status = 0;
        for (String line : Files.readAllLines(head, StandardCharsets.ISO_8859_1)) {
            if (line.startsWith("HTTP/")) {
                status = Integer.parseInt(line.split(" ")[1]);
                fields.clear();
            } else if (line.indexOf(':') > 0) {
                fields.put(line.substring(0, line.indexOf(':')).toLowerCase(Locale.ROOT), line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return new Answer(out, status, fields, Files.readString(body, StandardCharsets.ISO_8859_1));
    }

    private static Http2Options h2c() {
        return Http2Options.defaults().withH2c(true);
    }

    @Test
    void anH2ClientReachesAnHttp11Backend() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> Replies.write(out, 200,
                "hello " + req.head().line() + " " + req.bodyBytes(), "X-Backend: o", "Connection: keep-alive"));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).http2(h2c()).build());
        Answer get = curl("/a?b=c");
        assertThat(get.protocol()).isEqualTo("2");
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("hello GET /a?b=c HTTP/1.1 0");
        assertThat(get.headers()).containsEntry("x-backend", "o").doesNotContainKey("connection");
        assertThat(o.seen.getFirst().head().get("host")).isEqualTo("x");

        Path upload = work.resolve("upload.bin");
        Files.write(upload, new byte[100_000]);
        Answer post = curl("/up", "--data-binary", "@" + upload);
        assertThat(post.body()).isEqualTo("hello POST /up HTTP/1.1 100000");
        // An HTTP/1.1 client on the same listener is served as before.
        assertThat(h.get("x", "/plain").status()).isEqualTo(200);
    }

    @Test
    void theCacheHitsAndIsPurgedForH2Clients() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> Replies.write(out, 200, "cached body " + o0(req),
                "Cache-Control: max-age=60"));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o))
                .cache(CacheConfig.builder().build()).http2(h2c()).build());
        Answer first = curl("/c");
        assertThat(first.headers()).containsEntry("x-cache", "MISS");
        Answer second = curl("/c");
        assertThat(second.headers()).containsEntry("x-cache", "HIT");
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(o.seen).hasSize(1);
        // HEAD from the cache: the length, no body.
        Answer head = curl("/c", "--head");
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.headers()).containsEntry("content-length", String.valueOf(first.body().length()));
        assertThat(head.body()).as("only the head, which --head writes as the output").doesNotContain("cached body");

        assertThat(h.proxy.cache().purge(CacheKey.of("http", "x", "/c"))).isEqualTo(1);
        assertThat(curl("/c").headers()).containsEntry("x-cache", "MISS");
        assertThat(o.seen).hasSize(2);
    }

    private static String o0(Origin.Seen req) {
        return req.head().line();
    }

    @Test
    void concurrentStreamsForOneUrlShareOneBackendFetch() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Origin o = h.origin("o", (req, in, out) -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Replies.write(out, 200, "shared body", "Cache-Control: max-age=60");
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o))
                .cache(CacheConfig.builder().coalesceTimeout(Duration.ofSeconds(30)).build()).http2(h2c()).build());
        Process load = new ProcessBuilder("h2load", "-n", "20", "-c", "1", "-m", "20", "-H", "Host: x",
                "http://127.0.0.1:" + h.proxy.port() + "/hot").redirectErrorStream(true).start();
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> h.proxy.cache().waiting().get() == 19 && o.seen.size() == 1);
            release.countDown();
            String out = new String(load.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(load.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(out).contains("20 succeeded").contains("status codes: 20 2xx");
        } finally {
            release.countDown();
            load.destroy();
        }
        assertThat(o.seen).hasSize(1);
        assertThat(h.proxy.cache().waiting().get()).isZero();
    }

    @Test
    void aChunkedBackendAnswerReachesTheH2ClientWhole() throws Exception {
        StringBuilder expected = new StringBuilder();
        StringBuilder chunked = new StringBuilder("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 200; i++) {
            String part = "chunk " + i + " " + "x".repeat(i * 7) + "\n";
            expected.append(part);
            chunked.append(Integer.toHexString(part.length())).append("\r\n").append(part).append("\r\n");
        }
        chunked.append("0\r\n\r\n");
        Origin o = h.origin("o", (req, in, out) -> {
            out.write(chunked.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return true;
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).http2(h2c()).build());
        Answer a = curl("/stream");
        assertThat(a.protocol()).isEqualTo("2");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.headers()).doesNotContainKey("transfer-encoding");
        assertThat(a.body()).isEqualTo(expected.toString());
    }
}
