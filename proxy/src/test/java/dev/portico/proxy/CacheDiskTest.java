package dev.portico.proxy;

import dev.portico.testing.ManualClock;
import dev.portico.proxy.cache.CacheConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The disk tier under the memory tier: restarts, promotion, revalidation updates, variants. */
@Timeout(60)
class CacheDiskTest {

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private final ProxyHarness h = new ProxyHarness(clock);

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private ProxyConfig config(Origin o, CacheConfig.Builder cache) {
        return ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).cache(cache.dir(dir.resolve("c")).build())
                .build();
    }

    private void restart(Origin o, CacheConfig.Builder cache) throws IOException {
        h.proxy.stop(Duration.ofSeconds(1));
        h.start(config(o, cache));
    }

    @Test
    void afterARestartTheEntryIsAHitFromDiskAndIsPromotedToMemory() throws Exception {
        AtomicInteger n = new AtomicInteger();
        Origin o = h.origin("o", (req, in, out) -> Replies.write(out, 200, "stored " + n.incrementAndGet(),
                "Cache-Control: max-age=600", "Content-Type: text/plain"));
        h.start(config(o, CacheConfig.builder()));
        assertThat(h.get("x", "/keep").header("x-cache")).isEqualTo("MISS");
        await().until(() -> h.proxy.cache().stats().diskEntries() >= 2);
        restart(o, CacheConfig.builder());
        assertThat(h.proxy.cache().peekMemory("http://x/keep")).isNull();
        clock.advance(Duration.ofSeconds(30));
        Http.Response r = h.get("x", "/keep");
        assertThat(r.header("x-cache")).isEqualTo("HIT");
        assertThat(r.text()).isEqualTo("stored 1");
        assertThat(r.header("content-type")).isEqualTo("text/plain");
        assertThat(Long.parseLong(r.header("age"))).isGreaterThanOrEqualTo(30);
        assertThat(h.proxy.cache().peekMemory("http://x/keep")).isNotNull();
        assertThat(o.seen).hasSize(1);
    }

    @Test
    void withoutMemoryEveryHitComesFromDisk() throws Exception {
        Origin o = h.origin("o", Replies.always(200, "disk only", "Cache-Control: max-age=600"));
        h.start(config(o, CacheConfig.builder().memorySize(0)));
        h.get("x", "/d");
        await().until(() -> h.proxy.cache().stats().diskEntries() >= 2);
        for (int i = 0; i < 3; i++) {
            Http.Response r = h.get("x", "/d");
            assertThat(r.header("x-cache")).isEqualTo("HIT");
            assertThat(r.text()).isEqualTo("disk only");
        }
        assertThat(o.seen).hasSize(1);
    }

    @Test
    void aRevalidationRewritesTheStoredHeadersOnDisk() throws Exception {
        AtomicInteger generation = new AtomicInteger(1);
        Origin o = h.origin("o", (req, in, out) -> {
            if ("\"e1\"".equals(req.head().get("if-none-match"))) {
                return Replies.write(out, 304, "", "ETag: \"e1\"", "Cache-Control: max-age=10",
                        "X-Generation: " + generation.get());
            }
            return Replies.write(out, 200, "etagged", "ETag: \"e1\"", "Cache-Control: max-age=10",
                    "X-Generation: " + generation.get());
        });
        h.start(config(o, CacheConfig.builder()));
        h.get("x", "/r");
        await().until(() -> h.proxy.cache().stats().diskEntries() >= 2);
        generation.set(2);
        clock.advance(Duration.ofSeconds(11));
        assertThat(h.get("x", "/r").header("x-cache")).isEqualTo("REVALIDATED");
        restart(o, CacheConfig.builder());
        Http.Response r = h.get("x", "/r");
        assertThat(r.header("x-cache")).isEqualTo("HIT");
        assertThat(r.header("x-generation")).isEqualTo("2");
        assertThat(r.text()).isEqualTo("etagged");
        assertThat(o.seen).hasSize(2);
    }

    @Test
    void everyVariantSurvivesARestart() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> Replies.write(out, 200, "lang " + req.head().get("accept-language"),
                "Cache-Control: max-age=600", "Vary: Accept-Language"));
        h.start(config(o, CacheConfig.builder()));
        h.get("x", "/v", "Accept-Language: fr");
        h.get("x", "/v", "Accept-Language: de");
        await().until(() -> h.proxy.cache().stats().diskEntries() >= 3);
        restart(o, CacheConfig.builder());
        assertThat(h.get("x", "/v", "Accept-Language: de").text()).isEqualTo("lang de");
        Http.Response fr = h.get("x", "/v", "Accept-Language: fr");
        assertThat(fr.header("x-cache")).isEqualTo("HIT");
        assertThat(fr.text()).isEqualTo("lang fr");
        assertThat(o.seen).hasSize(2);
    }
}
