package dev.portico.proxy;

import dev.portico.core.net.Cidr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Transparent mode: Hosts without a pool are resolved and connected to, inside {@code allow} only. */
@Timeout(30)
class TransparentTest {

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    @Test
    void anAllowedHostIsResolvedAndReached() throws Exception {
        Origin o = h.named("direct");
        Origin pooled = h.named("pooled");
        h.start(ProxyHarness.config().pool("pooled.example", ProxyHarness.pool("roundrobin", pooled))
                .transparent(new TransparentSpec(Duration.ofSeconds(100), o.port(), List.of(Cidr.parse("127.0.0.0/8"))))
                .build());
        assertThat(h.get("127.0.0.1", "/a").text()).isEqualTo("direct");
        assertThat(h.get("127.0.0.1:" + o.port(), "/b").text()).isEqualTo("direct");
        assertThat(h.get("pooled.example", "/").text()).isEqualTo("pooled");
    }

    @Test
    void aDestinationOutsideAllowIsRefused() throws Exception {
        Origin o = h.named("direct");
        h.start(ProxyHarness.config()
                .transparent(new TransparentSpec(Duration.ofSeconds(100), o.port(), List.of(Cidr.parse("10.0.0.0/8"))))
                .build());
        Http.Response r = h.get("127.0.0.1", "/");
        assertThat(r.status()).isEqualTo(403);
        assertThat(o.seen).isEmpty();
    }

    @Test
    void anUnresolvableHostGives502() throws Exception {
        h.start(ProxyHarness.config()
                .transparent(new TransparentSpec(Duration.ofSeconds(100), 80, List.of(Cidr.parse("10.0.0.0/8"))))
                .build());
        assertThat(h.get("bad_host!", "/").status()).isEqualTo(502);
    }

    @Test
    void itIsOffByDefault() throws Exception {
        Origin o = h.named("pooled");
        h.start(ProxyHarness.config().pool("pooled.example", ProxyHarness.pool("roundrobin", o)).build());
        assertThat(h.get("127.0.0.1", "/").status()).isEqualTo(503);
    }
}
