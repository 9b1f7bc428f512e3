package dev.portico.proxy;

import dev.portico.proxy.cache.CacheConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/** The cache's meters: requests by result, bytes and entries per tier. */
@Timeout(30)
class CacheMetersTest {

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private double counter(String result) {
        return h.meters.get("portico_proxy_cache_requests").tag("service", "test").tag("result", result).counter().count();
    }

    @Test
    void countsResultsAndGaugesTheMemoryTier() throws Exception {
        Origin o = h.origin("o", Replies.always(200, "metered", "Cache-Control: max-age=60"));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).cache(CacheConfig.builder().build()).build());
        h.get("x", "/m");
        h.get("x", "/m");
        h.get("x", "/m");
        h.get("x", "/m", "Cache-Control: no-store");
        assertThat(counter("miss")).isEqualTo(1);
        assertThat(counter("hit")).isEqualTo(2);
        assertThat(counter("bypass")).isEqualTo(1);
        assertThat(h.meters.get("portico_proxy_cache_entries").tag("tier", "memory").gauge().value()).isEqualTo(1);
        assertThat(h.meters.get("portico_proxy_cache_bytes").tag("tier", "memory").gauge().value()).isGreaterThan(7);
        assertThat(h.meters.get("portico_proxy_cache_entries").tag("tier", "disk").gauge().value()).isZero();
        System.gc();
        assertThat(h.meters.get("portico_proxy_cache_entries").tag("tier", "memory").gauge().value()).isEqualTo(1);
        assertThat(h.proxy.cache().stats().hits()).isEqualTo(2);
    }
}
