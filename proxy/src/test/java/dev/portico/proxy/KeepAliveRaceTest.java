package dev.portico.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Upstream keep-alive: connections that must not be reused, and the backend's own idle timeout. */
@Timeout(30)
class KeepAliveRaceTest {

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    @Test
    void aConnectionWithBytesBeyondTheResponseIsClosedNotReused() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> {
            String answer = req.connection() == 1 && req.head().line().contains("/first")
                    // Two bytes announced, seven sent: the rest would be read as the next response.
                    ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"
                    : "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood";
            out.write(answer.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return true;
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        try (ProxyHarness.Client c = h.client()) {
            assertThat(c.get("x", "/first").text()).isEqualTo("ok");
            Http.Response second = c.get("x", "/second");
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.text()).isEqualTo("good");
        }
        assertThat(o.connections.get()).isEqualTo(2);
        assertThat(h.proxy.upstreamConnectionsReused()).isZero();
    }

    @Test
    void aPooledConnectionIsClosedBeforeTheBackendsAdvertisedKeepAliveTimeout() throws Exception {
        // The backend says it keeps idle connections one second (and, here, never closes them
        // itself): the proxy closes its pooled one first instead of keeping it its own 30 s.
        Origin o = h.origin("o", (req, in, out) -> {
            out.write("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1, max=100\r\nContent-Length: 2\r\n\r\nok"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return true;
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o))
                .keepAliveIdle(Duration.ofSeconds(30)).build());
        assertThat(h.get("x", "/").text()).isEqualTo("ok");
        await().atMost(Duration.ofSeconds(10)).until(() -> o.open() == 0);
    }

    @Test
    void theKeepAliveTimeoutParameterIsRead() {
        assertThat(timeout("timeout=5, max=1000")).isEqualTo(5);
        assertThat(timeout("max=10,timeout=2")).isEqualTo(2);
        assertThat(timeout("Timeout=0")).isZero();
        assertThat(timeout("max=10")).isEqualTo(-1);
        assertThat(timeout("timeout=")).isEqualTo(-1);
        assertThat(timeout("timeout=x")).isEqualTo(-1);
    }

    private static long timeout(String value) {
        byte[] raw = value.getBytes(StandardCharsets.US_ASCII);
        return UpstreamResponseDecoder.keepAliveTimeout(raw, 0, raw.length);
    }
}
