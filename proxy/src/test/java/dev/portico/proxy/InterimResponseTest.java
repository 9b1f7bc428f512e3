package dev.portico.proxy;

import dev.portico.testing.ManualClock;
import dev.portico.proxy.cache.CacheConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** 1xx interim responses from a backend (RFC 9110 §15.2) reach HTTP/1.1 clients, never HTTP/1.0 ones or the cache. */
@Timeout(30)
class InterimResponseTest {

    private final ProxyHarness h = new ProxyHarness(new ManualClock());

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private void start(boolean cache) throws IOException {
        Origin o = h.origin("o", (req, in, out) -> {
            out.write(("HTTP/1.1 102 Processing\r\n\r\n"
                    + "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return Replies.write(out, 200, "final", "Cache-Control: max-age=60", "Link: </style.css>; rel=preload");
        });
        ProxyConfig.Builder b = ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o));
        h.start((cache ? b.cache(CacheConfig.builder().build()) : b).build());
    }

    @Test
    void relayedToHttp11ClientsBeforeTheFinalResponse() throws Exception {
        start(false);
        try (ProxyHarness.Client c = h.client()) {
            c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(Http.head(c.in).status()).isEqualTo(102);
            Http.Head hints = Http.head(c.in);
            assertThat(hints.status()).isEqualTo(103);
            assertThat(hints.get("link")).isEqualTo("</style.css>; rel=preload");
            Http.Response last = c.read(false);
            assertThat(last.status()).isEqualTo(200);
            assertThat(last.text()).isEqualTo("final");
        }
    }

    @Test
    void notToHttp10Clients() throws Exception {
        start(false);
        try (ProxyHarness.Client c = h.client()) {
            c.send("GET /a HTTP/1.0\r\nHost: x\r\n\r\n");
            Http.Response r = c.read(false);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("final");
        }
    }

    @Test
    void throughTheCacheButNeverStored() throws Exception {
        start(true);
        try (ProxyHarness.Client c = h.client()) {
            c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(Http.head(c.in).status()).isEqualTo(102);
            assertThat(Http.head(c.in).status()).isEqualTo(103);
            Http.Response miss = c.read(false);
            assertThat(miss.header("x-cache")).isEqualTo("MISS");
            c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response hit = c.read(false);
            assertThat(hit.status()).isEqualTo(200);
            assertThat(hit.header("x-cache")).isEqualTo("HIT");
            assertThat(hit.text()).isEqualTo("final");
        }
    }
}
