package dev.portico.proxy;

import dev.portico.testing.ManualClock;
import dev.portico.proxy.cache.CacheConfig;
import dev.portico.proxy.cache.HttpDate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** CDN-Cache-Control (RFC 9213): when valid it alone rules the cache, and it goes on to the client. */
@Timeout(30)
class CacheCdnControlTest {

    private final ManualClock clock = new ManualClock();
    private final ProxyHarness h = new ProxyHarness(clock);

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    /** The backend answers with the header lines the test maps the path to. */
    private Origin start() throws IOException {
        Origin o = h.origin("o", (req, in, out) -> {
            String path = req.head().line().split(" ")[1];
            String far = "Expires: " + HttpDate.format(clock.millis() + 3_600_000);
            String[] headers = switch (path) {
                case "/cdn-over-no-store" -> new String[] {"CDN-Cache-Control: max-age=60", "Cache-Control: no-store"};
                case "/cdn-no-store" -> new String[] {"CDN-Cache-Control: no-store", "Cache-Control: max-age=60"};
                case "/cdn-private" -> new String[] {"CDN-Cache-Control: private", "Cache-Control: public, max-age=60"};
                case "/cdn-shorter" -> new String[] {"CDN-Cache-Control: max-age=5", "Cache-Control: s-maxage=600", far};
                case "/cdn-none" -> new String[] {"CDN-Cache-Control: none", far, "Cache-Control: max-age=600"};
                case "/not-merged" -> new String[] {"CDN-Cache-Control: must-revalidate", "Cache-Control: max-age=600"};
                case "/invalid" -> new String[] {"CDN-Cache-Control: Max-Age=1", "Cache-Control: max-age=60"};
                case "/empty" -> new String[] {"CDN-Cache-Control: ", "Cache-Control: max-age=60"};
                default -> new String[] {"CDN-Cache-Control: no-cache", "Cache-Control: max-age=60", "ETag: \"e\""};
            };
            if (req.head().get("if-none-match") != null) {
                return Replies.write(out, 304, "", headers);
            }
            return Replies.write(out, 200, "c", headers);
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).cache(CacheConfig.builder().build())
                .build());
        return o;
    }

    private String twice(String path) throws IOException {
        h.get("x", path);
        return h.get("x", path).header("x-cache");
    }

    @Test
    void itsDirectivesReplaceCacheControlAndExpires() throws Exception {
        Origin o = start();
        Http.Response miss = h.get("x", "/cdn-over-no-store");
        // forwarded unchanged, like Cache-Control (RFC 9213 §3)
        assertThat(miss.header("cdn-cache-control")).isEqualTo("max-age=60");
        assertThat(miss.header("cache-control")).isEqualTo("no-store");
        Http.Response hit = h.get("x", "/cdn-over-no-store");
        assertThat(hit.header("x-cache")).isEqualTo("HIT");
        assertThat(hit.header("cdn-cache-control")).isEqualTo("max-age=60");
        assertThat(twice("/cdn-no-store")).isEqualTo("MISS");
        assertThat(twice("/cdn-private")).isEqualTo("MISS");
        assertThat(twice("/cdn-none")).isEqualTo("MISS");
        assertThat(twice("/not-merged")).isEqualTo("MISS");
        assertThat(twice("/cdn-shorter")).isEqualTo("HIT");
        clock.advance(Duration.ofSeconds(6));
        assertThat(h.get("x", "/cdn-shorter").header("x-cache")).isEqualTo("MISS");
        assertThat(o.seen).hasSize(1 + 2 * 4 + 2);
    }

    @Test
    void noCacheRevalidatesEveryUse() throws Exception {
        Origin o = start();
        h.get("x", "/cdn-no-cache");
        assertThat(h.get("x", "/cdn-no-cache").header("x-cache")).isEqualTo("REVALIDATED");
        assertThat(o.seen.get(1).head().get("if-none-match")).isEqualTo("\"e\"");
    }

    @Test
    void anInvalidOrEmptyFieldIsIgnored() throws Exception {
        Origin o = start();
        assertThat(twice("/invalid")).isEqualTo("HIT");
        assertThat(twice("/empty")).isEqualTo("HIT");
        assertThat(o.seen).hasSize(2);
    }
}
