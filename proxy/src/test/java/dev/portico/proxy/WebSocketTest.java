package dev.portico.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** WebSocket upgrades: the 101 is passed on, then bytes are relayed both ways. */
@Timeout(30)
class WebSocketTest {

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    @Test
    void anUpgradedConnectionEchoesThroughTheProxy() throws Exception {
        Origin echo = h.origin("echo", (req, in, out) -> {
            if (!"websocket".equalsIgnoreCase(req.head().get("upgrade"))) {
                return Origin.text(out, 400, "not an upgrade");
            }
            out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + req.head().get("sec-websocket-key") + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                out.flush();
            }
            return false;
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", echo)).build());
        try (ProxyHarness.Client c = h.client()) {
            c.send("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            Http.Head head = Http.head(c.in);
            assertThat(head.status()).isEqualTo(101);
            assertThat(head.get("upgrade")).isEqualTo("websocket");
            assertThat(head.get("connection")).isEqualTo("Upgrade");
            assertThat(head.get("sec-websocket-accept")).isEqualTo("dGhlIHNhbXBsZSBub25jZQ==");
            for (int i = 0; i < 3; i++) {
                String msg = "frame " + i + " \r\n\r\nGET / HTTP/1.1\r\n";
                c.send(msg);
                byte[] back = c.in.readNBytes(msg.length());
                assertThat(new String(back, StandardCharsets.ISO_8859_1)).isEqualTo(msg);
            }
        }
        Http.Head seen = echo.seen.getFirst().head();
        assertThat(seen.get("upgrade")).isEqualTo("websocket");
        assertThat(seen.get("connection")).isEqualTo("Upgrade");
        assertThat(seen.get("sec-websocket-key")).isEqualTo("dGhlIHNhbXBsZSBub25jZQ==");
    }

    @Test
    void otherUpgradesAreNotPassedOn() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> Origin.text(out, 200, "upgrade=" + req.head().get("upgrade")));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        Http.Response r = h.get("x", "/", "Upgrade: h2c", "Connection: Upgrade");
        assertThat(r.text()).isEqualTo("upgrade=null");
    }
}
