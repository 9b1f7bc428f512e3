package dev.portico.proxy;

import dev.portico.testing.ManualClock;
import dev.portico.proxy.cache.CacheConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** What is stored, for how long, and what X-Cache says (RFC 9111 freshness, variants, keys). */
@Timeout(30)
class CacheFreshnessTest {

    private final ManualClock clock = new ManualClock();
    private final ProxyHarness h = new ProxyHarness(clock);

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private Origin start(Origin.Script script) throws IOException {
        return start(script, CacheConfig.builder().build());
    }

    private Origin start(Origin.Script script, CacheConfig cache) throws IOException {
        Origin o = h.origin("o", script);
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).cache(cache).build());
        return o;
    }

    @Test
    void aFreshResponseIsAnsweredFromTheCacheWithAge() throws Exception {
        Origin o = start(Replies.always(200, "hello", "Cache-Control: max-age=60", "Content-Type: text/plain"));
        Http.Response first = h.get("example.com", "/a");
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.header("x-cache")).isEqualTo("MISS");
        assertThat(first.text()).isEqualTo("hello");
        clock.advance(Duration.ofSeconds(5));
        Http.Response second = h.get("example.com", "/a");
        assertThat(second.header("x-cache")).isEqualTo("HIT");
        assertThat(second.text()).isEqualTo("hello");
        assertThat(second.header("content-type")).isEqualTo("text/plain");
        assertThat(second.header("content-length")).isEqualTo("5");
        assertThat(Long.parseLong(second.header("age"))).isBetween(5L, 6L);
        assertThat(o.seen).hasSize(1);
        // expired, no validator: fetched again
        clock.advance(Duration.ofSeconds(60));
        assertThat(h.get("example.com", "/a").header("x-cache")).isEqualTo("MISS");
        assertThat(o.seen).hasSize(2);
    }

    @Test
    void everyHitGivesTheEntrysAgeAtThatMoment() throws Exception {
        start(Replies.always(200, "hello", "Cache-Control: max-age=60"));
        assertThat(h.get("example.com", "/age").header("x-cache")).isEqualTo("MISS");
        clock.advance(Duration.ofSeconds(3));
        long first = Long.parseLong(h.get("example.com", "/age").header("age"));
        assertThat(first).isBetween(3L, 4L);
        assertThat(Long.parseLong(h.get("example.com", "/age").header("age"))).isEqualTo(first);
        clock.advance(Duration.ofSeconds(1));
        assertThat(Long.parseLong(h.get("example.com", "/age").header("age"))).isEqualTo(first + 1);
        clock.advance(Duration.ofSeconds(10));
        Http.Response later = h.get("example.com", "/age");
        assertThat(Long.parseLong(later.header("age"))).isEqualTo(first + 11);
        assertThat(later.header("x-cache")).isEqualTo("HIT");
    }

    @Test
    void withoutACacheSectionThereIsNoXCacheHeader() throws Exception {
        Origin o = h.origin("o", Replies.always(200, "x", "Cache-Control: max-age=60"));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        assertThat(h.get("x", "/").header("x-cache")).isNull();
        assertThat(h.get("x", "/").header("x-cache")).isNull();
        assertThat(o.seen).hasSize(2);
    }

    @Test
    void sMaxageWinsOverMaxAge() throws Exception {
        Origin o = start(Replies.always(200, "s", "Cache-Control: max-age=0, s-maxage=60"));
        h.get("x", "/s");
        assertThat(h.get("x", "/s").header("x-cache")).isEqualTo("HIT");
        assertThat(o.seen).hasSize(1);
    }

    @Test
    void noStoreAndPrivateAreNotStored() throws Exception {
        Origin o = start((req, in, out) -> Replies.write(out, 200, "p",
                req.head().line().contains("/private") ? "Cache-Control: private, max-age=60" : "Cache-Control: no-store, max-age=60"));
        for (String path : new String[] {"/private", "/nostore"}) {
            assertThat(h.get("x", path).header("x-cache")).isEqualTo("MISS");
            assertThat(h.get("x", path).header("x-cache")).isEqualTo("MISS");
        }
        assertThat(o.seen).hasSize(4);
    }

    @Test
    void expiresWithDateGivesTheLifetime() throws Exception {
        long now = clock.millis();
        String date = dev.portico.proxy.cache.HttpDate.format(now);
        String expires = dev.portico.proxy.cache.HttpDate.format(now + 30_000);
        Origin o = start((req, in, out) -> Replies.write(out, 200, "e", "Date: " + date,
                "Expires: " + (req.head().line().contains("/past") ? "0" : expires)));
        h.get("x", "/e");
        assertThat(h.get("x", "/e").header("x-cache")).isEqualTo("HIT");
        clock.advance(Duration.ofSeconds(31));
        assertThat(h.get("x", "/e").header("x-cache")).isEqualTo("MISS");
        h.get("x", "/past");
        assertThat(h.get("x", "/past").header("x-cache")).isEqualTo("MISS");
        assertThat(o.seen).hasSize(4);
    }

    @Test
    void requestDirectivesBypassOrRefetch() throws Exception {
        Origin o = start(Replies.always(200, "r", "Cache-Control: max-age=60"));
        h.get("x", "/r");
        assertThat(h.get("x", "/r", "Cache-Control: no-store").header("x-cache")).isEqualTo("BYPASS");
        assertThat(h.get("x", "/r", "Cache-Control: no-cache").header("x-cache")).isEqualTo("MISS");
        assertThat(h.get("x", "/r", "Cache-Control: max-age=0").header("x-cache")).isEqualTo("MISS");
        assertThat(h.get("x", "/r", "Pragma: no-cache").header("x-cache")).isEqualTo("MISS");
        assertThat(o.seen).hasSize(5);
        clock.advance(Duration.ofSeconds(10));
        assertThat(h.get("x", "/r", "Cache-Control: max-age=5").header("x-cache")).isEqualTo("MISS");
        assertThat(h.get("x", "/r", "Cache-Control: max-age=30").header("x-cache")).isEqualTo("HIT");
        assertThat(h.get("x", "/nothing", "Cache-Control: only-if-cached").status()).isEqualTo(504);
    }

    @Test
    void onlyGetAndHeadAreCachedAndHeadIsServedFromAGetEntry() throws Exception {
        Origin o = start(Replies.always(200, "body!", "Cache-Control: max-age=60"));
        try (ProxyHarness.Client c = h.client()) {
            c.send("POST /m HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
            Http.Response post = c.read(false);
            assertThat(post.header("x-cache")).isEqualTo("BYPASS");
            c.send("HEAD /m HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read(true).header("x-cache")).isEqualTo("MISS");
            // the HEAD was fetched as GET and stored
            c.send("GET /m HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read(false).header("x-cache")).isEqualTo("HIT");
            c.send("HEAD /m HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response head = c.read(true);
            assertThat(head.header("x-cache")).isEqualTo("HIT");
            assertThat(head.header("content-length")).isEqualTo("5");
            c.send("GET /m HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read(false).text()).isEqualTo("body!");
        }
        assertThat(o.seen).hasSize(2);
    }

    @Test
    void understoodStatusesWithExplicitFreshnessAreStored() throws Exception {
        Origin o = start((req, in, out) -> {
            String path = req.head().line().split(" ")[1];
            int status = Integer.parseInt(path.substring(path.lastIndexOf('/') + 1));
            String freshness = path.startsWith("/expires/") ? "Expires: " + dev.portico.proxy.cache.HttpDate.format(
                    clock.millis() + 60_000) : "Cache-Control: max-age=60";
            return Replies.write(out, status, "s" + status, freshness, "Location: /x");
        });
        int[] stored = {200, 203, 300, 301, 302, 307, 308, 400, 403, 404, 410, 500, 502, 503};
        for (int status : stored) {
            h.get("x", "/" + status);
            assertThat(h.get("x", "/" + status).header("x-cache")).as("status %d", status).isEqualTo("HIT");
        }
        for (int status : new int[] {302, 503}) {
            h.get("x", "/expires/" + status);
            assertThat(h.get("x", "/expires/" + status).header("x-cache")).as("status %d", status).isEqualTo("HIT");
        }
        // statuses the cache does not understand as final, partial content, and answers to conditionals
        for (int status : new int[] {206, 299, 599}) {
            h.get("x", "/" + status);
            assertThat(h.get("x", "/" + status).header("x-cache")).as("status %d", status).isEqualTo("MISS");
        }
        assertThat(o.seen).hasSize(stored.length + 2 + 6);
    }

    @Test
    void defaultTtlAppliesByPathOnlyWithoutFreshnessInformation() throws Exception {
        Origin o = start(Replies.always(200, "plain"), CacheConfig.builder()
                .defaultTtl("/static/*", Duration.ofHours(1)).defaultTtl("*", Duration.ZERO).build());
        h.get("x", "/static/css/site.css");
        assertThat(h.get("x", "/static/css/site.css").header("x-cache")).isEqualTo("HIT");
        h.get("x", "/page");
        assertThat(h.get("x", "/page").header("x-cache")).isEqualTo("MISS");
        assertThat(o.seen).hasSize(3);
        clock.advance(Duration.ofMinutes(61));
        assertThat(h.get("x", "/static/css/site.css").header("x-cache")).isEqualTo("MISS");
    }

    @Test
    void authorizationAndSetCookieNeedPublic() throws Exception {
        Origin o = start((req, in, out) -> {
            String line = req.head().line();
            if (line.contains("/auth-public")) {
                return Replies.write(out, 200, "a", "Cache-Control: public, max-age=60");
            }
            if (line.contains("/auth")) {
                return Replies.write(out, 200, "a", "Cache-Control: max-age=60");
            }
            if (line.contains("/cookie-public")) {
                return Replies.write(out, 200, "c", "Cache-Control: public, max-age=60", "Set-Cookie: id=1");
            }
            return Replies.write(out, 200, "c", "Cache-Control: max-age=60", "Set-Cookie: id=1");
        });
        h.get("x", "/auth", "Authorization: Bearer t");
        assertThat(h.get("x", "/auth", "Authorization: Bearer t").header("x-cache")).isEqualTo("MISS");
        h.get("x", "/auth-public", "Authorization: Bearer t");
        assertThat(h.get("x", "/auth-public").header("x-cache")).isEqualTo("HIT");
        h.get("x", "/cookie");
        assertThat(h.get("x", "/cookie").header("x-cache")).isEqualTo("MISS");
        Http.Response filling = h.get("x", "/cookie-public");
        assertThat(filling.header("set-cookie")).isEqualTo("id=1");
        Http.Response hit = h.get("x", "/cookie-public");
        assertThat(hit.header("x-cache")).isEqualTo("HIT");
        assertThat(hit.header("set-cookie")).isNull();
        assertThat(o.seen).hasSize(6);
    }

    @Test
    void varyKeepsOneVariantPerRequestValue() throws Exception {
        Origin o = start((req, in, out) -> Replies.write(out, 200, "lang=" + req.head().get("accept-language"),
                "Cache-Control: max-age=60", "Vary: Accept-Language"));
        assertThat(h.get("x", "/v", "Accept-Language: fr").text()).isEqualTo("lang=fr");
        assertThat(h.get("x", "/v", "Accept-Language: de").text()).isEqualTo("lang=de");
        Http.Response fr = h.get("x", "/v", "Accept-Language: fr");
        assertThat(fr.header("x-cache")).isEqualTo("HIT");
        assertThat(fr.text()).isEqualTo("lang=fr");
        Http.Response de = h.get("x", "/v", "Accept-Language: de");
        assertThat(de.header("x-cache")).isEqualTo("HIT");
        assertThat(de.text()).isEqualTo("lang=de");
        assertThat(h.get("x", "/v").header("x-cache")).isEqualTo("MISS");
        assertThat(o.seen).hasSize(3);
    }

    @Test
    void aGzipVariantGoesOnlyToClientsThatTakeGzip() throws Exception {
        // No Vary from this backend: the encoding alone keeps the variants apart.
        Origin o = start((req, in, out) -> {
            String ae = req.head().get("accept-encoding");
            return ae != null && ae.contains("gzip")
                    ? Replies.write(out, 200, "GZ", "Cache-Control: max-age=60", "Content-Encoding: gzip")
                    : Replies.write(out, 200, "plain", "Cache-Control: max-age=60");
        });
        assertThat(h.get("x", "/g", "Accept-Encoding: gzip").text()).isEqualTo("GZ");
        Http.Response plain = h.get("x", "/g");
        assertThat(plain.header("x-cache")).isEqualTo("MISS");
        assertThat(plain.text()).isEqualTo("plain");
        Http.Response gz = h.get("x", "/g", "Accept-Encoding: br, gzip");
        assertThat(gz.header("x-cache")).isEqualTo("HIT");
        assertThat(gz.header("content-encoding")).isEqualTo("gzip");
        Http.Response plainAgain = h.get("x", "/g", "Accept-Encoding: gzip;q=0");
        assertThat(plainAgain.header("x-cache")).isEqualTo("HIT");
        assertThat(plainAgain.text()).isEqualTo("plain");
        assertThat(o.seen).hasSize(2);
    }

    @Test
    void theKeyIgnoresHostCaseAndTheDefaultPortButNotTheQuery() throws Exception {
        AtomicInteger n = new AtomicInteger();
        Origin o = start((req, in, out) -> Replies.write(out, 200, "n" + n.incrementAndGet(), "Cache-Control: max-age=60"));
        assertThat(h.get("Example.COM:80", "/k?a=1").text()).isEqualTo("n1");
        assertThat(h.get("example.com", "/k?a=1").text()).isEqualTo("n1");
        assertThat(h.get("example.com", "/k?a=2").text()).isEqualTo("n2");
        assertThat(h.get("example.com:8080", "/k?a=1").text()).isEqualTo("n3");
        assertThat(h.get("other.com", "/k?a=1").text()).isEqualTo("n4");
        assertThat(o.seen).hasSize(4);
        assertThat(h.proxy.cache().peekMemory("http://example.com/k?a=1")).isNotNull();
    }

    @Test
    void aBodyOverMaxObjectSizeIsStreamedButNotStored() throws Exception {
        String big = "x".repeat(100_000);
        Origin o = start(Replies.always(200, big, "Cache-Control: max-age=60"),
                CacheConfig.builder().maxObjectSize(50_000).build());
        try (ProxyHarness.Client c = h.client()) {
            // Content-Length above the limit: not even copied
            c.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read(false).body()).hasSize(100_000);
        }
        assertThat(h.get("x", "/big").header("x-cache")).isEqualTo("MISS");
        assertThat(o.seen).hasSize(2);
    }

    @Test
    void aChunkedBodyOverMaxObjectSizeIsStreamedButNotStored() throws Exception {
        Origin o = start((req, in, out) -> {
            out.write("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes());
            for (int i = 0; i < 10; i++) {
                out.write(("2710\r\n" + "y".repeat(10_000) + "\r\n").getBytes());
            }
            out.write("0\r\n\r\n".getBytes());
            out.flush();
            return true;
        }, CacheConfig.builder().maxObjectSize(50_000).build());
        assertThat(h.get("x", "/chunks").body()).hasSize(100_000);
        assertThat(h.get("x", "/chunks").header("x-cache")).isEqualTo("MISS");
        assertThat(o.seen).hasSize(2);
        h.get("x", "/chunks");
        assertThat(h.proxy.cache().peekMemory("http://x/chunks")).isNull();
    }

    @Test
    void aChunkedBodyUnderTheLimitIsStored() throws Exception {
        Origin o = start((req, in, out) -> {
            out.write("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n".getBytes());
            out.flush();
            return true;
        });
        assertThat(h.get("x", "/c").text()).isEqualTo("hello world");
        Http.Response hit = h.get("x", "/c");
        assertThat(hit.header("x-cache")).isEqualTo("HIT");
        assertThat(hit.text()).isEqualTo("hello world");
        assertThat(hit.header("content-length")).isEqualTo("11");
        assertThat(o.seen).hasSize(1);
    }

    @Test
    void anUnsafeMethodDropsTheStoredUrl() throws Exception {
        Origin o = start(Replies.always(200, "u", "Cache-Control: max-age=60"));
        h.get("x", "/u");
        assertThat(h.get("x", "/u").header("x-cache")).isEqualTo("HIT");
        try (ProxyHarness.Client c = h.client()) {
            c.send("DELETE /u HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read(false).header("x-cache")).isEqualTo("BYPASS");
        }
        assertThat(h.get("x", "/u").header("x-cache")).isEqualTo("MISS");
        assertThat(o.seen).hasSize(3);
    }
}
