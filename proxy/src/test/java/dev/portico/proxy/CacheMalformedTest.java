package dev.portico.proxy;

import dev.portico.proxy.cache.CacheConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Broken backend responses are never stored; smuggling attempts never reach a backend. */
@Timeout(30)
class CacheMalformedTest {

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private Origin start(String raw) throws IOException {
        Origin o = h.origin("o", (req, in, out) -> {
            out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return false;
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).retries(0)
                .cache(CacheConfig.builder().build()).build());
        return o;
    }

    @Test
    void aBadStatusLineGives502AndIsNotStored() throws Exception {
        Origin o = start("HTTP/1.1 2x0 OK\r\nCache-Control: max-age=60\r\nContent-Length: 2\r\n\r\nok");
        Http.Response r = h.get("x", "/bad");
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.header("x-cache")).isEqualTo("MISS");
        assertThat(h.get("x", "/bad").status()).isEqualTo(502);
        assertThat(o.seen).hasSize(2);
        assertThat(h.proxy.cache().peekMemory("http://x/bad")).isNull();
    }

    @Test
    void aBadChunkClosesTheClientConnectionAndIsNotStored() throws Exception {
        Origin o = start("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n");
        for (int i = 0; i < 2; i++) {
            try (ProxyHarness.Client c = h.client()) {
                c.send("GET /chunk HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThatThrownBy(() -> c.read(false)).isInstanceOf(Exception.class);
            }
        }
        assertThat(o.seen).hasSize(2);
        assertThat(h.proxy.cache().peekMemory("http://x/chunk")).isNull();
    }

    @Test
    void aTruncatedBodyClosesTheClientConnectionAndIsNotStored() throws Exception {
        Origin o = start("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 100\r\n\r\nonly ten b");
        for (int i = 0; i < 2; i++) {
            try (ProxyHarness.Client c = h.client()) {
                c.send("GET /short HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThatThrownBy(() -> c.read(false)).isInstanceOf(IOException.class);
            }
        }
        assertThat(o.seen).hasSize(2);
        assertThat(h.proxy.cache().peekMemory("http://x/short")).isNull();
    }

    @Test
    void aTruncatedChunkedBodyIsNotStored() throws Exception {
        Origin o = start("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        for (int i = 0; i < 2; i++) {
            try (ProxyHarness.Client c = h.client()) {
                c.send("GET /cut HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThatThrownBy(() -> c.read(false)).isInstanceOf(Exception.class);
            }
        }
        assertThat(o.seen).hasSize(2);
        assertThat(h.proxy.cache().peekMemory("http://x/cut")).isNull();
    }

    @Test
    void conflictingFramingIsRefusedBeforeTheCacheOrABackend() throws Exception {
        Origin o = start("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        try (ProxyHarness.Client c = h.client()) {
            c.send("GET /s HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
            assertThat(c.read(false).status()).isEqualTo(400);
        }
        assertThat(o.seen).isEmpty();
    }
}
