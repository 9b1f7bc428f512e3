package dev.portico.proxy;

import dev.portico.testing.ManualClock;
import dev.portico.proxy.cache.CacheConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** HEAD through the cache: a miss is fetched as GET and fills the cache; the client gets the head only. */
@Timeout(30)
class CacheHeadTest {

    private final ProxyHarness h = new ProxyHarness(new ManualClock());

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private Origin start(Origin.Script script, CacheConfig cache) throws IOException {
        Origin o = h.origin("o", script);
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).cache(cache).build());
        return o;
    }

    /** A chunked 200 in two chunks, whatever the method. */
    private static boolean chunked(OutputStream out, String cacheControl, String a, String b) throws IOException {
        String s = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + cacheControl + "Transfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(a.length()) + "\r\n" + a + "\r\n" + Integer.toHexString(b.length()) + "\r\n" + b
                + "\r\n0\r\n\r\n";
        out.write(s.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return true;
    }

    @Test
    void aHeadMissIsFetchedAsGetStoredAndThenHits() throws Exception {
        Origin o = start(Replies.always(200, "0123456789", "Cache-Control: max-age=60", "Content-Type: text/plain"),
                CacheConfig.builder().build());
        try (ProxyHarness.Client c = h.client()) {
            c.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response miss = c.read(true);
            assertThat(miss.status()).isEqualTo(200);
            assertThat(miss.header("x-cache")).isEqualTo("MISS");
            assertThat(miss.header("content-length")).isEqualTo("10");
            assertThat(miss.header("content-type")).isEqualTo("text/plain");
            c.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response hit = c.read(true);
            assertThat(hit.header("x-cache")).isEqualTo("HIT");
            assertThat(hit.header("content-length")).isEqualTo("10");
            // the connection is still in step: no stray body bytes came after either head
            c.send("GET /h HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response get = c.read(false);
            assertThat(get.header("x-cache")).isEqualTo("HIT");
            assertThat(get.text()).isEqualTo("0123456789");
        }
        assertThat(o.seen).hasSize(1);
        assertThat(o.seen.getFirst().head().line()).startsWith("GET /h ");
    }

    @Test
    void aChunkedResponseGivesTheHeadItsRealLength() throws Exception {
        Origin o = start((req, in, out) -> chunked(out, "Cache-Control: max-age=60\r\n", "hello ", "world"),
                CacheConfig.builder().build());
        try (ProxyHarness.Client c = h.client()) {
            c.send("HEAD /c HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response miss = c.read(true);
            assertThat(miss.header("x-cache")).isEqualTo("MISS");
            assertThat(miss.header("content-length")).isEqualTo("11");
            assertThat(miss.header("transfer-encoding")).isNull();
            c.send("GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response get = c.read(false);
            assertThat(get.header("x-cache")).isEqualTo("HIT");
            assertThat(get.text()).isEqualTo("hello world");
        }
        assertThat(o.seen).hasSize(1);
    }

    @Test
    void concurrentHeadAndGetMissesShareOneFetch() throws Exception {
        Origin o = start(Replies.always(200, "shared", "Cache-Control: max-age=60"), CacheConfig.builder().build());
        try (ProxyHarness.Client c = h.client()) {
            c.send("HEAD /s HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read(true).header("content-length")).isEqualTo("6");
        }
        assertThat(h.get("x", "/s").header("x-cache")).isEqualTo("HIT");
        assertThat(o.seen).hasSize(1);
    }

    @Test
    void anUnstorableResponseRelaysItsHeadAndKeepsTheConnectionUsable() throws Exception {
        Origin o = start(Replies.always(200, "private!", "Cache-Control: no-store"), CacheConfig.builder().build());
        try (ProxyHarness.Client c = h.client()) {
            for (int i = 0; i < 2; i++) {
                c.send("HEAD /p HTTP/1.1\r\nHost: x\r\n\r\n");
                Http.Response head = c.read(true);
                assertThat(head.header("x-cache")).isEqualTo("MISS");
                assertThat(head.header("content-length")).isEqualTo("8");
            }
            c.send("GET /p HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read(false).text()).isEqualTo("private!");
        }
        assertThat(o.seen).hasSize(3).allSatisfy(s -> assertThat(s.head().line()).startsWith("GET /p "));
    }

    @Test
    void aBodyAnnouncedTooLargeToStoreIsNotReadForAHead() throws Exception {
        String big = "x".repeat(8000);
        Origin o = start(Replies.always(200, big, "Cache-Control: max-age=60"),
                CacheConfig.builder().maxObjectSize(1000).build());
        try (ProxyHarness.Client c = h.client()) {
            for (int i = 0; i < 2; i++) {
                c.send("HEAD /big HTTP/1.1\r\nHost: x\r\n\r\n");
                Http.Response head = c.read(true);
                assertThat(head.status()).isEqualTo(200);
                assertThat(head.header("x-cache")).isEqualTo("MISS");
                assertThat(head.header("content-length")).isEqualTo("8000");
            }
            c.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response get = c.read(false);
            assertThat(get.header("x-cache")).isEqualTo("MISS");
            assertThat(get.body()).hasSize(8000);
        }
        assertThat(o.seen).hasSize(3);
        // each HEAD's upstream connection was closed after the head instead of reading 8000 bytes
        assertThat(o.connections.get()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aChunkedBodyThatOutgrowsTheCacheStillGivesTheHeadItsLength() throws Exception {
        String big = "y".repeat(4000);
        Origin o = start((req, in, out) -> chunked(out, "Cache-Control: max-age=60\r\n", big, big),
                CacheConfig.builder().maxObjectSize(1000).build());
        try (ProxyHarness.Client c = h.client()) {
            c.send("HEAD /grow HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response head = c.read(true);
            assertThat(head.header("x-cache")).isEqualTo("MISS");
            assertThat(head.header("content-length")).isEqualTo("8000");
            c.send("GET /grow HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response get = c.read(false);
            assertThat(get.header("x-cache")).isEqualTo("MISS");
            assertThat(get.body()).hasSize(8000);
        }
        assertThat(o.seen).hasSize(2);
    }

    @Test
    void aStoredEntryAnswersHeadWithoutAnyBackendRequest() throws Exception {
        Origin o = start(Replies.always(200, "abc", "Cache-Control: max-age=60"), CacheConfig.builder().build());
        assertThat(h.get("x", "/g").header("x-cache")).isEqualTo("MISS");
        try (ProxyHarness.Client c = h.client()) {
            c.send("HEAD /g HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response head = c.read(true);
            assertThat(head.header("x-cache")).isEqualTo("HIT");
            assertThat(head.header("content-length")).isEqualTo("3");
            assertThat(head.header("age")).isNotNull();
        }
        assertThat(o.seen).hasSize(1);
    }
}
