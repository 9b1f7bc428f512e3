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

/** Heuristic freshness from Last-Modified (RFC 9111 §4.2.2): off by default, a fraction of the age, capped. */
@Timeout(30)
class CacheHeuristicTest {

    private final ManualClock clock = new ManualClock();
    private final ProxyHarness h = new ProxyHarness(clock);

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    /** A backend whose responses have no explicit freshness: Last-Modified is 10 h, or 100 days for /old, before now. */
    private Origin start(CacheConfig cache) throws IOException {
        long t0 = clock.millis();
        Origin o = h.origin("o", (req, in, out) -> {
            String path = req.head().line().split(" ")[1];
            long modified = path.startsWith("/old") ? t0 - Duration.ofDays(100).toMillis() : t0 - Duration.ofHours(10).toMillis();
            int status = path.startsWith("/302") ? 302 : path.startsWith("/500") ? 500 : 200;
            if (req.head().get("if-modified-since") != null) {
                return Replies.write(out, 304, "", "Date: " + HttpDate.format(clock.millis()));
            }
            return Replies.write(out, status, "h", "Date: " + HttpDate.format(clock.millis()),
                    "Last-Modified: " + HttpDate.format(modified), "Location: /");
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).cache(cache).build());
        return o;
    }

    @Test
    void offByDefault() throws Exception {
        Origin o = start(CacheConfig.builder().build());
        assertThat(h.get("x", "/a").header("x-cache")).isEqualTo("MISS");
        assertThat(h.get("x", "/a").header("x-cache")).isEqualTo("MISS");
        assertThat(o.seen).hasSize(2);
    }

    @Test
    void aFractionOfTheTimeSinceLastModifiedCapped() throws Exception {
        Origin o = start(CacheConfig.builder().heuristic(new CacheConfig.Heuristic(0.1, Duration.ofDays(1))).build());
        // modified 10 h ago: fresh for 1 h
        h.get("x", "/a");
        clock.advance(Duration.ofMinutes(59));
        assertThat(h.get("x", "/a").header("x-cache")).isEqualTo("HIT");
        clock.advance(Duration.ofMinutes(2));
        assertThat(h.get("x", "/a").header("x-cache")).isEqualTo("REVALIDATED");
        assertThat(o.seen.get(1).head().get("if-modified-since")).isNotNull();
        // modified 100 days ago: 10 days, capped at 1 day
        h.get("x", "/old");
        clock.advance(Duration.ofHours(23));
        assertThat(h.get("x", "/old").header("x-cache")).isEqualTo("HIT");
        clock.advance(Duration.ofHours(2));
        assertThat(h.get("x", "/old").header("x-cache")).isEqualTo("REVALIDATED");
        assertThat(o.seen).hasSize(4);
    }

    @Test
    void onlyForHeuristicallyCacheableStatusesAndAfterDefaultTtl() throws Exception {
        Origin o = start(CacheConfig.builder().heuristic(new CacheConfig.Heuristic(0.1, Duration.ofDays(1)))
                .defaultTtl("/ttl/*", Duration.ofMinutes(5)).defaultTtl("/never/*", Duration.ZERO)
                .defaultTtl("/302*", Duration.ofHours(1)).build());
        for (String path : new String[] {"/302", "/500"}) {
            h.get("x", path);
            assertThat(h.get("x", path).header("x-cache")).as(path).isEqualTo("MISS");
        }
        // a default_ttl rule wins over the heuristic, and a 0s rule means not stored
        h.get("x", "/ttl/a");
        clock.advance(Duration.ofMinutes(6));
        assertThat(h.get("x", "/ttl/a").header("x-cache")).isEqualTo("REVALIDATED");
        h.get("x", "/never/a");
        assertThat(h.get("x", "/never/a").header("x-cache")).isEqualTo("MISS");
        assertThat(o.seen).hasSize(4 + 2 + 2);
    }
}
