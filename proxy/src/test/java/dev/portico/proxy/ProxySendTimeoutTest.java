package dev.portico.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A proxy client that stops reading a relayed answer is closed after {@code timeouts.send},
 * although the exchange is still streaming and the idle timeout is far away.
 */
@Timeout(60)
class ProxySendTimeoutTest {

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private double openClients() {
        var g = h.meters.find("portico_proxy_connections_open").gauge();
        return g == null ? 0 : g.value();
    }

    @Test
    void aClientThatStopsReadingAStreamIsClosed() throws Exception {
        String body = "x".repeat(16 << 20);
        Origin o = h.origin("o", Replies.always(200, body));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o))
                .idleTimeout(Duration.ofSeconds(120)).sendTimeout(Duration.ofSeconds(1)).build());
        try (Socket s = new Socket()) {
            // a small fixed window: the kernel takes little of the answer off the proxy
            s.setReceiveBufferSize(16 * 1024);
            s.connect(new InetSocketAddress("127.0.0.1", h.proxy.port()), 5000);
            s.setSoTimeout(20_000);
            s.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] status = in.readNBytes(12);
            assertThat(new String(status, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
            assertThat(openClients()).isEqualTo(1);
            await().atMost(Duration.ofSeconds(20)).until(() -> openClients() == 0);
        }
    }
}
