package dev.portico.proxy;

import dev.portico.testing.ManualClock;
import dev.portico.proxy.cache.CacheConfig;
import dev.portico.proxy.cache.HttpDate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Conditional requests to the backend for stale entries, and client conditionals answered from the cache. */
@Timeout(30)
class CacheRevalidationTest {

    private final ManualClock clock = new ManualClock();
    private final ProxyHarness h = new ProxyHarness(clock);

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private Origin start(Origin.Script script) throws IOException {
        Origin o = h.origin("o", script);
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).cache(CacheConfig.builder().build())
                .build());
        return o;
    }

    /** A backend with ETag "v1" that answers 304 to a matching If-None-Match. */
    private static Origin.Script etagBackend(String cacheControl, AtomicInteger version) {
        return (req, in, out) -> {
            String tag = "\"v" + version.get() + "\"";
            if (tag.equals(req.head().get("if-none-match"))) {
                return Replies.write(out, 304, "", "ETag: " + tag, "Cache-Control: " + cacheControl, "X-Seen: 304");
            }
            return Replies.write(out, 200, "body v" + version.get(), "ETag: " + tag, "Cache-Control: " + cacheControl,
                    "Content-Type: text/plain");
        };
    }

    @Test
    void aStaleEntryIsRevalidatedWithIfNoneMatchAnd304KeepsTheBody() throws Exception {
        AtomicInteger version = new AtomicInteger(1);
        Origin o = start(etagBackend("max-age=10", version));
        assertThat(h.get("x", "/r").header("x-cache")).isEqualTo("MISS");
        clock.advance(Duration.ofSeconds(11));
        Http.Response r = h.get("x", "/r");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("x-cache")).isEqualTo("REVALIDATED");
        assertThat(r.text()).isEqualTo("body v1");
        assertThat(r.header("content-type")).isEqualTo("text/plain");
        assertThat(r.header("x-seen")).isEqualTo("304");
        assertThat(o.seen.get(1).head().get("if-none-match")).isEqualTo("\"v1\"");
        // the 304 renewed the lifetime
        assertThat(h.get("x", "/r").header("x-cache")).isEqualTo("HIT");
        assertThat(o.seen).hasSize(2);
        // a changed resource: the 200 replaces the entry
        version.set(2);
        clock.advance(Duration.ofSeconds(11));
        Http.Response changed = h.get("x", "/r");
        assertThat(changed.header("x-cache")).isEqualTo("MISS");
        assertThat(changed.text()).isEqualTo("body v2");
        assertThat(h.get("x", "/r").text()).isEqualTo("body v2");
        assertThat(o.seen).hasSize(3);
    }

    /**
     * A response is stored before its end reaches the client, so a request that follows it at once
     * finds it. A pipelined request starts the moment the response before it ends, which makes
     * the order observable every time; a client asking again on a new connection, served by
     * another event loop, used to find the old entry only now and then.
     */
    @ParameterizedTest
    @ValueSource(strings = {"200 with a body", "200 empty", "204"})
    void aRequestRightBehindAChangedResponseFindsItStored(String kind) throws Exception {
        AtomicInteger version = new AtomicInteger(1);
        int status = kind.equals("204") ? 204 : 200;
        Origin o = start((req, in, out) -> {
            String tag = "\"v" + version.get() + "\"";
            if (tag.equals(req.head().get("if-none-match"))) {
                return Replies.write(out, 304, "", "ETag: " + tag, "Cache-Control: max-age=10");
            }
            String body = kind.equals("200 with a body") ? "body v" + version.get() : "";
            return Replies.write(out, status, body, "ETag: " + tag, "Cache-Control: max-age=10",
                    "X-Version: " + version.get());
        });
        assertThat(h.get("x", "/k").header("x-cache")).isEqualTo("MISS");
        version.set(2);
        clock.advance(Duration.ofSeconds(11));
        try (ProxyHarness.Client c = h.client()) {
            c.send("GET /k HTTP/1.1\r\nHost: x\r\n\r\nGET /k HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response changed = c.read(false);
            Http.Response next = c.read(false);
            assertThat(changed.header("x-cache")).isEqualTo("MISS");
            assertThat(changed.header("x-version")).isEqualTo("2");
            assertThat(next.status()).isEqualTo(status);
            assertThat(next.header("x-cache")).isEqualTo("HIT");
            assertThat(next.header("x-version")).isEqualTo("2");
            assertThat(next.text()).isEqualTo(changed.text());
        }
        assertThat(o.seen).hasSize(2);
        assertThat(o.seen.get(1).head().get("if-none-match")).isEqualTo("\"v1\"");
    }

    @Test
    void aRequestRightBehindARevalidationIsAHit() throws Exception {
        Origin o = start(etagBackend("max-age=10", new AtomicInteger(1)));
        h.get("x", "/s");
        clock.advance(Duration.ofSeconds(11));
        try (ProxyHarness.Client c = h.client()) {
            c.send("GET /s HTTP/1.1\r\nHost: x\r\n\r\nGET /s HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response revalidated = c.read(false);
            Http.Response next = c.read(false);
            assertThat(revalidated.header("x-cache")).isEqualTo("REVALIDATED");
            assertThat(next.header("x-cache")).isEqualTo("HIT");
            assertThat(next.text()).isEqualTo("body v1");
        }
        assertThat(o.seen).hasSize(2);
    }

    @Test
    void lastModifiedIsRevalidatedWithIfModifiedSince() throws Exception {
        String lm = HttpDate.format(clock.millis() - 3_600_000);
        Origin o = start((req, in, out) -> {
            if (lm.equals(req.head().get("if-modified-since"))) {
                return Replies.write(out, 304, "", "Cache-Control: max-age=10");
            }
            return Replies.write(out, 200, "dated", "Last-Modified: " + lm, "Cache-Control: max-age=10");
        });
        h.get("x", "/d");
        clock.advance(Duration.ofSeconds(11));
        Http.Response r = h.get("x", "/d");
        assertThat(r.header("x-cache")).isEqualTo("REVALIDATED");
        assertThat(r.text()).isEqualTo("dated");
        assertThat(o.seen.get(1).head().get("if-modified-since")).isEqualTo(lm);
    }

    @Test
    void noCacheIsStoredButRevalidatedEveryTime() throws Exception {
        Origin o = start(etagBackend("no-cache", new AtomicInteger(1)));
        assertThat(h.get("x", "/n").header("x-cache")).isEqualTo("MISS");
        assertThat(h.get("x", "/n").header("x-cache")).isEqualTo("REVALIDATED");
        assertThat(h.get("x", "/n").header("x-cache")).isEqualTo("REVALIDATED");
        assertThat(o.seen).hasSize(3);
        assertThat(o.seen.get(2).head().get("if-none-match")).isEqualTo("\"v1\"");
    }

    @Test
    void aRequestWithNoCacheRevalidatesAFreshEntry() throws Exception {
        Origin o = start(etagBackend("max-age=60", new AtomicInteger(1)));
        h.get("x", "/f");
        assertThat(h.get("x", "/f", "Cache-Control: no-cache").header("x-cache")).isEqualTo("REVALIDATED");
        assertThat(o.seen).hasSize(2);
    }

    @Test
    void clientConditionalsAreAnsweredFromTheCache() throws Exception {
        String lm = HttpDate.format(clock.millis() - 3_600_000);
        Origin o = start((req, in, out) -> Replies.write(out, 200, "cond", "ETag: \"abc\"", "Last-Modified: " + lm,
                "Cache-Control: max-age=60"));
        // the client's conditional is not passed on for a miss: the cache needs the full body
        Http.Response first = h.get("x", "/c", "If-None-Match: \"abc\"");
        assertThat(first.status()).isEqualTo(200);
        assertThat(o.seen.getFirst().head().get("if-none-match")).isNull();
        Http.Response etag = h.get("x", "/c", "If-None-Match: W/\"zzz\", \"abc\"");
        assertThat(etag.status()).isEqualTo(304);
        assertThat(etag.header("x-cache")).isEqualTo("HIT");
        assertThat(etag.header("etag")).isEqualTo("\"abc\"");
        assertThat(etag.body()).isEmpty();
        assertThat(h.get("x", "/c", "If-None-Match: \"other\"").status()).isEqualTo(200);
        assertThat(h.get("x", "/c", "If-Modified-Since: " + HttpDate.format(clock.millis())).status()).isEqualTo(304);
        assertThat(h.get("x", "/c", "If-Modified-Since: " + HttpDate.format(clock.millis() - 7_200_000)).status())
                .isEqualTo(200);
        assertThat(o.seen).hasSize(1);
    }

    @Test
    void aStaleEntryWithoutValidatorIsFetchedAgainInFull() throws Exception {
        AtomicInteger n = new AtomicInteger();
        Origin o = start((req, in, out) -> Replies.write(out, 200, "n" + n.incrementAndGet(), "Cache-Control: max-age=5"));
        h.get("x", "/p");
        clock.advance(Duration.ofSeconds(6));
        Http.Response r = h.get("x", "/p");
        assertThat(r.header("x-cache")).isEqualTo("MISS");
        assertThat(r.text()).isEqualTo("n2");
        assertThat(o.seen.get(1).head().get("if-none-match")).isNull();
        assertThat(h.get("x", "/p").text()).isEqualTo("n2");
    }
}
