package dev.portico.proxy;

import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.core.net.HostPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The keep-alive pool towards backends, its idle expiry, and the idle timeout of a busy connection. */
@Timeout(30)
class UpstreamPoolTest {

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private static PoolSpec pool(Origin o) {
        return new PoolSpec(List.of(HostPort.parse(o.address())), "roundrobin", HealthCheckConfig.parse("none"));
    }

    @Test
    void aPooledConnectionIsReusedWithinTheIdleExpiry() throws Exception {
        Origin o = h.named("up");
        h.start(ProxyHarness.config().pool("*", pool(o)).keepAliveIdle(Duration.ofSeconds(20)).build());
        // One client connection: its requests are all served on one event loop, whose pool they share.
        try (ProxyHarness.Client c = h.client()) {
            for (int i = 0; i < 5; i++) {
                assertThat(c.get("x", "/" + i).status()).isEqualTo(200);
            }
        }
        assertThat(o.connections.get()).isEqualTo(1);
        assertThat(o.open()).isEqualTo(1);
    }

    @Test
    void anIdleConnectionClosesAfterTheExpiryAndTheNextRequestOpensANewOne() throws Exception {
        Origin o = h.named("up");
        h.start(ProxyHarness.config().pool("*", pool(o)).keepAliveIdle(Duration.ofMillis(300)).build());
        assertThat(h.get("x", "/a").status()).isEqualTo(200);
        assertThat(o.connections.get()).isEqualTo(1);
        // Nobody takes it: the pool's sweep closes it once it has idled for the expiry.
        await().atMost(Duration.ofSeconds(5)).until(() -> o.open() == 0);
        Http.Response r = h.get("x", "/b");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).isEqualTo("up");
        assertThat(o.connections.get()).isEqualTo(2);
    }

    @Test
    void aClosedUpstreamConnectionAddsWhatItCarriedToItsBackendsStats() throws Exception {
        Origin o = h.named("up");
        h.start(ProxyHarness.config().pool("*", pool(o)).keepAliveIdle(Duration.ofMillis(300)).build());
        Http.Response r = h.get("x", "/a");
        assertThat(r.status()).isEqualTo(200);
        dev.portico.upstream.Backend backend = h.proxy.pools().get("*").members().getFirst();
        assertThat(backend.stats().open()).isEqualTo(1);
        // Counted when the connection closes: here when the pool's sweep expires it.
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.stats().open() == 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.stats().bytesIn() > 0);
        assertThat(backend.stats().total()).isEqualTo(1);
        // The answer's status line, headers and "up"; the request line and headers the other way.
        assertThat(backend.stats().bytesIn()).isGreaterThan("HTTP/1.1 200 OK\r\n\r\nup".length());
        assertThat(backend.stats().bytesOut()).isGreaterThan("GET /a HTTP/1.1\r\n\r\n".length());
    }

    @Test
    void anOpenUpstreamConnectionsBytesCountBeforeItClosesAndOnlyOnce() throws Exception {
        Origin o = h.named("up");
        h.start(ProxyHarness.config().pool("*", pool(o)).keepAliveIdle(Duration.ofSeconds(20)).build());
        assertThat(h.get("x", "/a").status()).isEqualTo(200);
        dev.portico.upstream.Backend backend = h.proxy.pools().get("*").members().getFirst();
        // The connection waits in the pool, open, and what it carried is already counted.
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.stats().bytesIn() > 0);
        assertThat(backend.stats().open()).isEqualTo(1);
        long in = backend.stats().bytesIn();
        long out = backend.stats().bytesOut();
        assertThat(in).isGreaterThan("HTTP/1.1 200 OK\r\n\r\nup".length());
        assertThat(out).isGreaterThan("GET /a HTTP/1.1\r\n\r\n".length());
        assertThat(h.get("x", "/b").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.stats().bytesIn() > in);
        long in2 = backend.stats().bytesIn();
        long out2 = backend.stats().bytesOut();
        assertThat(out2).isGreaterThan(out);
        // The close adds nothing counted before.
        o.dropConnections();
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.stats().open() == 0);
        assertThat(backend.stats().bytesIn()).isEqualTo(in2);
        assertThat(backend.stats().bytesOut()).isEqualTo(out2);
        // One connection, or two when the second request came in on the other event loop (pools are per loop).
        assertThat(o.connections.get()).isBetween(1, 2);
    }

    @Test
    void aConnectionTheBackendClosesWhileIdleIsNotReused() throws Exception {
        Origin o = h.named("up");
        h.start(ProxyHarness.config().pool("*", pool(o)).keepAliveIdle(Duration.ofSeconds(20)).build());
        assertThat(h.get("x", "/a").status()).isEqualTo(200);
        o.dropConnections();
        await().atMost(Duration.ofSeconds(5)).until(() -> o.open() == 0);
        assertThat(h.get("x", "/b").status()).isEqualTo(200);
        assertThat(o.connections.get()).isEqualTo(2);
    }

    @Test
    void aBackendSilentForTheIdleTimeoutGives504BeforeTheFirstByteTimeout() throws Exception {
        Origin o = h.origin("mute", (req, in, out) -> {
            in.read();
            return false;
        });
        h.start(ProxyHarness.config().pool("*", pool(o)).firstByteTimeout(Duration.ofSeconds(20))
                .idleTimeout(Duration.ofMillis(300)).build());
        long start = System.nanoTime();
        Http.Response r = h.get("x", "/");
        assertThat(r.status()).isEqualTo(504);
        // The first-byte timeout (20 s) cannot have fired; the idle watch did.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        await().atMost(Duration.ofSeconds(5)).until(() -> o.open() == 0);
    }
}
