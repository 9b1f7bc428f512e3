package dev.portico.proxy;

import dev.portico.testing.ManualClock;
import dev.portico.proxy.cache.CacheConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** stale-while-revalidate with one background refresh, and stale-if-error when the backends fail. */
@Timeout(60)
class CacheStaleTest {

    private final ManualClock clock = new ManualClock();
    private final ProxyHarness h = new ProxyHarness(clock);

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private void start(CacheConfig cache, Origin... origins) throws IOException {
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", origins)).cache(cache).build());
    }

    @Test
    void staleWhileRevalidateServesStaleAndRefreshesOnceInTheBackground() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger n = new AtomicInteger();
        Origin o = h.origin("o", (req, in, out) -> {
            int mine = n.incrementAndGet();
            if (mine == 2) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return Replies.write(out, 200, "n" + mine, "Cache-Control: max-age=10, stale-while-revalidate=60");
        });
        start(CacheConfig.builder().build(), o);
        assertThat(h.get("x", "/s").text()).isEqualTo("n1");
        clock.advance(Duration.ofSeconds(15));
        for (int i = 0; i < 5; i++) {
            Http.Response r = h.get("x", "/s");
            assertThat(r.header("x-cache")).isEqualTo("STALE");
            assertThat(r.header("x-cache-stale-reason")).isEqualTo("updating");
            assertThat(r.text()).isEqualTo("n1");
            assertThat(Long.parseLong(r.header("age"))).isGreaterThanOrEqualTo(15);
        }
        await().until(() -> o.seen.size() == 2);
        release.countDown();
        await().until(() -> h.get("x", "/s").text().equals("n2"));
        Http.Response fresh = h.get("x", "/s");
        assertThat(fresh.header("x-cache")).isEqualTo("HIT");
        assertThat(o.seen).hasSize(2);
    }

    @Test
    void theConfiguredStaleWhileRevalidateAppliesWhenTheResponseSaysNothing() throws Exception {
        AtomicInteger n = new AtomicInteger();
        Origin o = h.origin("o", (req, in, out) -> Replies.write(out, 200, "n" + n.incrementAndGet(), "Cache-Control: max-age=10"));
        start(CacheConfig.builder().staleWhileRevalidate(Duration.ofMinutes(1)).build(), o);
        h.get("x", "/d");
        clock.advance(Duration.ofSeconds(30));
        assertThat(h.get("x", "/d").header("x-cache")).isEqualTo("STALE");
        await().until(() -> h.get("x", "/d").text().equals("n2"));
        // past the window: a plain refetch
        clock.advance(Duration.ofSeconds(100));
        assertThat(h.get("x", "/d").header("x-cache")).isEqualTo("MISS");
    }

    @Test
    void staleIfErrorServesTheStoredResponseWhenTheBackendAnswers5xx() throws Exception {
        AtomicInteger status = new AtomicInteger(200);
        Origin o = h.origin("o", (req, in, out) -> Replies.write(out, status.get(), "status " + status.get(),
                "Cache-Control: max-age=10"));
        start(CacheConfig.builder().staleIfError(Duration.ofHours(1)).build(), o);
        h.get("x", "/e");
        status.set(503);
        clock.advance(Duration.ofSeconds(20));
        Http.Response r = h.get("x", "/e");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).isEqualTo("status 200");
        assertThat(r.header("x-cache")).isEqualTo("STALE");
        assertThat(r.header("x-cache-stale-reason")).isEqualTo("error");
        // uncached: the error goes through
        Http.Response other = h.get("x", "/other");
        assertThat(other.status()).isEqualTo(503);
        assertThat(other.header("x-cache")).isEqualTo("MISS");
    }

    @Test
    void killEveryBackendAndCachedContentIsStillServedStaleWhileUncachedGets503() throws Exception {
        Origin a = h.origin("a", Replies.always(200, "from a", "Cache-Control: max-age=10, stale-if-error=3600"));
        Origin b = h.origin("b", Replies.always(200, "from b", "Cache-Control: max-age=10, stale-if-error=3600"));
        start(CacheConfig.builder().build(), a, b);
        String first = h.get("x", "/one").text();
        String second = h.get("x", "/two").text();
        a.close();
        b.close();
        clock.advance(Duration.ofSeconds(60));
        Http.Response one = h.get("x", "/one");
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.text()).isEqualTo(first);
        assertThat(one.header("x-cache")).isEqualTo("STALE");
        Http.Response two = h.get("x", "/two");
        assertThat(two.text()).isEqualTo(second);
        assertThat(two.header("x-cache")).isEqualTo("STALE");
        Http.Response uncached = h.get("x", "/three");
        assertThat(uncached.status()).isEqualTo(503);
        assertThat(uncached.header("x-cache")).isEqualTo("MISS");
    }

    @Test
    void mustRevalidateForbidsStaleServing() throws Exception {
        AtomicInteger status = new AtomicInteger(200);
        Origin o = h.origin("o", (req, in, out) -> Replies.write(out, status.get(), "s" + status.get(),
                "Cache-Control: max-age=10, must-revalidate"));
        start(CacheConfig.builder().staleIfError(Duration.ofHours(1)).staleWhileRevalidate(Duration.ofHours(1)).build(), o);
        h.get("x", "/m");
        status.set(500);
        clock.advance(Duration.ofSeconds(20));
        Http.Response r = h.get("x", "/m");
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.header("x-cache")).isEqualTo("MISS");
    }

    @Test
    void pastTheStaleIfErrorWindowTheErrorGoesThrough() throws Exception {
        AtomicReference<Integer> status = new AtomicReference<>(200);
        Origin o = h.origin("o", (req, in, out) -> Replies.write(out, status.get(), "s", "Cache-Control: max-age=10, stale-if-error=30"));
        start(CacheConfig.builder().build(), o);
        h.get("x", "/w");
        status.set(502);
        clock.advance(Duration.ofSeconds(30));
        assertThat(h.get("x", "/w").header("x-cache")).isEqualTo("STALE");
        clock.advance(Duration.ofSeconds(30));
        assertThat(h.get("x", "/w").status()).isEqualTo(502);
    }
}
