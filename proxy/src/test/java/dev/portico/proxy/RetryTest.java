package dev.portico.proxy;

import dev.portico.core.net.HostPort;
import dev.portico.proxy.cache.CacheConfig;
import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;
import io.micrometer.core.instrument.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Retries on another backend after failures before the response head ({@code retry_on}). */
@Timeout(30)
class RetryTest {

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    /** A backend that reads each request and closes the connection without answering. */
    private Origin closer(String name) throws IOException {
        return h.origin(name, (req, in, out) -> false);
    }

    private double counter(String name, String... tags) {
        Counter c = h.meters.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    private Backend backend(Origin o) {
        return h.proxy.pools().get("*").find(o.address()).orElseThrow();
    }

    @Test
    void aGetClosedBeforeTheHeadIsAnsweredByTheOtherBackendAndTheFailedOneIsMarkedDown() throws Exception {
        Origin bad = closer("bad");
        Origin good = h.named("good");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", bad, good)).build());
        int[] n = {0};
        // Every request is answered; after a few failures in a row the failing backend is down.
        await().until(() -> {
            Http.Response r = h.get("x", "/" + n[0]++);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("good");
            return backend(bad).health() == HealthState.DOWN;
        });
        assertThat(bad.seen).hasSizeGreaterThanOrEqualTo(Backend.REQUEST_FALL);
        assertThat(backend(bad).stats().retries()).isEqualTo(bad.seen.size());
        assertThat(counter("portico_proxy_retries", "pool", "*", "backend", bad.address())).isEqualTo(bad.seen.size());
    }

    @Test
    void aPutBodyIsSentAgainToTheOtherBackend() throws Exception {
        Origin bad = closer("bad");
        Origin good = h.named("good");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", bad, good)).build());
        for (int i = 0; i < 2; i++) {
            try (ProxyHarness.Client c = h.client()) {
                c.send("PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
                Http.Response r = c.read(false);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.text()).isEqualTo("good");
            }
        }
        assertThat(bad.seen).isNotEmpty().allSatisfy(s -> assertThat(s.bodyBytes()).isEqualTo(11));
        assertThat(good.seen).hasSize(2).allSatisfy(s -> assertThat(s.bodyBytes()).isEqualTo(11));
    }

    @Test
    void aChunkedPutBodyIsSentAgainWhole() throws Exception {
        Origin bad = closer("bad");
        Origin good = h.named("good");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", bad, good)).build());
        for (int i = 0; i < 2; i++) {
            try (ProxyHarness.Client c = h.client()) {
                c.send("PUT /doc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
                c.send("6\r\n world\r\n0\r\n\r\n");
                assertThat(c.read(false).text()).isEqualTo("good");
            }
        }
        assertThat(good.seen).hasSize(2).allSatisfy(s -> assertThat(s.bodyBytes()).isEqualTo(11));
    }

    @Test
    void aPostIsNotSentAgainOnceItReachedABackend() throws Exception {
        Origin bad = closer("bad");
        Origin good = h.named("good");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", bad, good)).build());
        int failedPosts = 0;
        for (int i = 0; i < 2; i++) {
            try (ProxyHarness.Client c = h.client()) {
                c.send("POST /order HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
                if (c.read(false).status() == 502) {
                    failedPosts++;
                }
            }
        }
        assertThat(failedPosts).isEqualTo(1);
        assertThat(bad.seen).hasSize(1);
        assertThat(good.seen).hasSize(1);
    }

    @Test
    void aBodyLargerThanTheRetryBufferIsNotSentAgain() throws Exception {
        Origin bad = closer("bad");
        Origin good = h.named("good");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", bad, good)).retryBuffer(4).build());
        int statuses = 0;
        for (int i = 0; i < 2; i++) {
            try (ProxyHarness.Client c = h.client()) {
                c.send("PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
                statuses += c.read(false).status();
            }
        }
        assertThat(statuses).isEqualTo(200 + 502);
    }

    @Test
    void a503IsRetriedOnlyWhenRetryOnListsItAndTheLastOneIsRelayed() throws Exception {
        Origin busy = h.origin("busy", Replies.always(503, "busy"));
        Origin good = h.named("good");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", busy, good))
                .retryOn(RetryCondition.RESET, RetryCondition.STATUS_503).build());
        int[] n = {0};
        await().until(() -> {
            assertThat(h.get("x", "/" + n[0]++).text()).isEqualTo("good");
            return backend(busy).health() == HealthState.DOWN;
        });
        assertThat(busy.seen).hasSizeGreaterThanOrEqualTo(Backend.REQUEST_FALL);
    }

    @Test
    void a503IsRelayedWhenRetryOnDoesNotListIt() throws Exception {
        Origin busy = h.origin("busy", Replies.always(503, "busy"));
        Origin good = h.named("good");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", busy, good)).build());
        String bodies = h.get("x", "/1").text() + h.get("x", "/2").text();
        assertThat(bodies).contains("busy").contains("good");
        assertThat(backend(busy).health()).isNotEqualTo(HealthState.DOWN);
    }

    @Test
    void whenEveryBackendAnswers503TheLastAnswerIsRelayed() throws Exception {
        Origin a = h.origin("a", Replies.always(503, "a busy"));
        Origin b = h.origin("b", Replies.always(503, "b busy"));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", a, b))
                .retryOn(RetryCondition.STATUS_503).build());
        Http.Response r = h.get("x", "/");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.text()).endsWith("busy");
        assertThat(a.seen.size() + b.seen.size()).isEqualTo(2);
        assertThat(counter("portico_proxy_retries_exhausted", "pool", "*")).isEqualTo(1);
    }

    @Test
    void aHungBackendIsLeftAfterTheFirstByteTimeoutWhenRetryOnListsTimeout() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        Origin hung = h.origin("hung", (req, in, out) -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        });
        Origin good = h.named("good");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", hung, good))
                .firstByteTimeout(Duration.ofMillis(300)).retryOn(RetryCondition.RESET, RetryCondition.TIMEOUT).build());
        int[] n = {0};
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            assertThat(h.get("x", "/" + n[0]++).text()).isEqualTo("good");
            return backend(hung).health() == HealthState.DOWN;
        });
        assertThat(hung.seen).hasSizeGreaterThanOrEqualTo(Backend.REQUEST_FALL);
    }

    @Test
    void retriesStopAtTheConfiguredCount() throws Exception {
        Origin a = closer("a");
        Origin b = closer("b");
        Origin c = closer("c");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", a, b, c)).retries(1).build());
        assertThat(h.get("x", "/").status()).isEqualTo(502);
        assertThat(a.seen.size() + b.seen.size() + c.seen.size()).isEqualTo(2);
    }

    @Test
    void aSpentBudgetRefusesRetries() throws Exception {
        // A backend that fails every request and is back after each check, and a good one: with
        // a budget of 0 % only the floor of a few retries per second is allowed, then requests
        // that meet the failing backend fail at once.
        Origin bad = closer("bad");
        Origin good = h.named("good");
        HealthCheckConfig quick = HealthCheckConfig.builder(HealthCheckType.NONE).downInterval(Duration.ofMillis(5))
                .rise(1).build();
        PoolSpec pool = new PoolSpec(java.util.List.of(HostPort.parse(bad.address()), HostPort.parse(good.address())),
                "roundrobin", quick);
        h.start(ProxyHarness.config().pool("*", pool).retryBudget(0).build());
        int[] failed = {0};
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(1)).until(() -> {
            failed[0] += h.get("x", "/").status() == 502 ? 1 : 0;
            return counter("portico_proxy_retries_refused", "pool", "*") > 0;
        });
        assertThat(failed[0]).isPositive();
        assertThat(counter("portico_proxy_retries", "pool", "*", "backend", bad.address()))
                .isGreaterThanOrEqualTo(RetryBudget.WINDOW_SECONDS * RetryBudget.MIN_PER_SECOND);
    }

    @Test
    void aPooledConnectionThatFailsAPutIsRetriedOnAFreshOne() throws Exception {
        java.util.Map<Integer, Integer> perConnection = new java.util.concurrent.ConcurrentHashMap<>();
        Origin o = h.origin("o", (req, in, out) -> {
            if (perConnection.merge(req.connection(), 1, Integer::sum) > 1) {
                return false;
            }
            return Origin.text(out, 200, "fresh " + req.connection() + " " + req.bodyBytes());
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).retries(0).build());
        try (ProxyHarness.Client c = h.client()) {
            assertThat(c.get("x", "/1").text()).isEqualTo("fresh 1 0");
            c.send("PUT /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
            assertThat(c.read(false).text()).isEqualTo("fresh 2 3");
            c.send("DELETE /p HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read(false).text()).isEqualTo("fresh 3 0");
        }
        assertThat(backend(o).health()).isNotEqualTo(HealthState.DOWN);
    }

    @Test
    void aCacheMissFetchedFromAFailingBackendIsFetchedFromTheOtherAndStored() throws Exception {
        Origin bad = closer("bad");
        Origin good = h.origin("good", Replies.always(200, "cached", "Cache-Control: max-age=60"));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", bad, good))
                .cache(CacheConfig.builder().build()).build());
        for (int i = 0; i < 3; i++) {
            Http.Response r = h.get("x", "/c");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("cached");
        }
        assertThat(good.seen).hasSize(1);
        await().until(() -> bad.seen.size() <= 1);
    }
}
