package dev.portico.proxy;

import dev.portico.proxy.cache.CacheConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Concurrent misses for one URL share one backend fetch. */
@Timeout(60)
class CacheCoalescingTest {

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    @Test
    void aHundredConcurrentMissesCauseOneBackendRequest() throws Exception {
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
                .cache(CacheConfig.builder().coalesceTimeout(Duration.ofSeconds(30)).build()).build());
        List<ProxyHarness.Client> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                ProxyHarness.Client c = h.client();
                clients.add(c);
                c.send("GET /hot HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> h.proxy.cache().waiting().get() == 99 && o.seen.size() == 1);
            release.countDown();
            int hits = 0;
            for (ProxyHarness.Client c : clients) {
                Http.Response r = c.read(false);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.text()).isEqualTo("shared body");
                hits += "HIT".equals(r.header("x-cache")) ? 1 : 0;
            }
            assertThat(hits).isEqualTo(99);
            assertThat(o.seen).hasSize(1);
            assertThat(h.proxy.cache().waiting().get()).isZero();
        } finally {
            release.countDown();
            for (ProxyHarness.Client c : clients) {
                c.close();
            }
        }
    }

    @Test
    void aFollowerThatWaitedTooLongGoesToTheBackendItself() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger n = new AtomicInteger();
        Origin o = h.origin("o", (req, in, out) -> {
            int mine = n.incrementAndGet();
            if (mine == 1) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return Replies.write(out, 200, "answer " + mine, "Cache-Control: max-age=60");
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o))
                .cache(CacheConfig.builder().coalesceTimeout(Duration.ofMillis(200)).build()).build());
        try (ProxyHarness.Client leader = h.client(); ProxyHarness.Client follower = h.client()) {
            leader.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
            await().until(() -> o.seen.size() == 1);
            follower.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response f = follower.read(false);
            assertThat(f.text()).isEqualTo("answer 2");
            assertThat(f.header("x-cache")).isEqualTo("MISS");
            release.countDown();
            assertThat(leader.read(false).text()).isEqualTo("answer 1");
        } finally {
            release.countDown();
        }
        assertThat(o.seen).hasSize(2);
    }

    @Test
    void followersOfAnUncacheableResponseFetchForThemselves() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger n = new AtomicInteger();
        Origin o = h.origin("o", (req, in, out) -> {
            int mine = n.incrementAndGet();
            if (mine == 1) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return Replies.write(out, 200, "private " + mine, "Cache-Control: private");
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o))
                .cache(CacheConfig.builder().build()).build());
        try (ProxyHarness.Client a = h.client(); ProxyHarness.Client b = h.client()) {
            a.send("GET /me HTTP/1.1\r\nHost: x\r\n\r\n");
            await().until(() -> o.seen.size() == 1);
            b.send("GET /me HTTP/1.1\r\nHost: x\r\n\r\n");
            await().until(() -> h.proxy.cache().waiting().get() == 1);
            release.countDown();
            assertThat(a.read(false).text()).isEqualTo("private 1");
            assertThat(b.read(false).text()).isEqualTo("private 2");
        } finally {
            release.countDown();
        }
    }
}
