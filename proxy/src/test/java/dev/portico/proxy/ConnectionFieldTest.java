package dev.portico.proxy;

import dev.portico.core.net.HostPort;
import dev.portico.proxy.cache.CacheConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a client's or a backend's Connection field may remove: never the framing of the message,
 * its Host, the fields the proxy writes, nor (unnoticed by the cache) a field the response varies on.
 */
@Timeout(30)
class ConnectionFieldTest {

    private static final String SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

    private final ProxyHarness h = new ProxyHarness();
    private LengthOnlyBackend backend;

    @AfterEach
    void close() throws Exception {
        h.close();
        if (backend != null) {
            backend.close();
        }
    }

    private void start(String answerFields, boolean cached) throws IOException {
        backend = new LengthOnlyBackend(answerFields);
        PoolSpec pool = new PoolSpec(List.of(HostPort.parse(backend.address())), "roundrobin",
                dev.portico.upstream.health.HealthCheckConfig.parse("none"));
        ProxyConfig.Builder config = ProxyHarness.config().pool("*", pool);
        if (cached) {
            config.cache(CacheConfig.builder().build());
        }
        h.start(config.build());
    }

    @ParameterizedTest(name = "cache: {0}")
    @ValueSource(booleans = {false, true})
    @SuppressWarnings("try")
    void connectionCannotRemoveContentLength(boolean cached) throws Exception {
        start("Cache-Control: max-age=60\r\n", cached);
        try (ProxyHarness.Client attacker = h.client()) {
            attacker.send("POST /x HTTP/1.1\r\nHost: x\r\nConnection: Content-Length\r\nContent-Length: "
                    + SMUGGLED.length() + "\r\n\r\n" + SMUGGLED);
            Http.Response r = attacker.read(false);
            assertThat(r.text()).isEqualTo("POST /x HTTP/1.1");
        }
        // The upstream connection goes back to the pool: the next client's request must get its
        // own answer, not the one to a request hidden in the POST's body.
        assertThat(h.get("x", "/victim").text()).isEqualTo("GET /victim HTTP/1.1");
        assertThat(backend.requests).extracting(LengthOnlyBackend.Request::line)
                .containsExactly("POST /x HTTP/1.1", "GET /victim HTTP/1.1");
        LengthOnlyBackend.Request post = backend.requests.getFirst();
        assertThat(post.field("Content-Length")).isEqualTo(Integer.toString(SMUGGLED.length()));
        assertThat(post.bodyText()).isEqualTo(SMUGGLED);
        if (cached) {
            assertThat(h.get("x", "/smuggled").text()).isEqualTo("GET /smuggled HTTP/1.1");
        }
    }

    @Test
    void connectionCannotRemoveTransferEncoding() throws Exception {
        start("", false);
        try (ProxyHarness.Client c = h.client()) {
            c.send("POST /c HTTP/1.1\r\nHost: x\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n0\r\n\r\n");
            assertThat(c.read(false).text()).isEqualTo("POST /c HTTP/1.1");
        }
        await().until(() -> !backend.requests.isEmpty());
        // This backend cannot read chunks (it takes them for the next request): only the head counts.
        assertThat(backend.requests.getFirst().field("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(backend.requests.getFirst().field("Content-Length")).isNull();
    }

    @Test
    void connectionCannotRemoveHostOrTheProxysOwnFields() throws Exception {
        start("", false);
        Http.Response r = h.get("site.example", "/h", "Connection: Host, Via, Forwarded, X-Forwarded-For, "
                + "X-Forwarded-Proto, Content-Length", "X-Forwarded-For: 192.0.2.1", "Via: 1.1 edge");
        assertThat(r.status()).isEqualTo(200);
        LengthOnlyBackend.Request seen = backend.requests.getFirst();
        assertThat(seen.field("Host")).isEqualTo("site.example");
        assertThat(seen.field("X-Forwarded-For")).isEqualTo("192.0.2.1, 127.0.0.1");
        assertThat(seen.field("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(seen.field("Forwarded")).isEqualTo("for=127.0.0.1;proto=http;host=\"site.example\"");
        assertThat(seen.field("Via")).isEqualTo("1.1 edge, 1.1 portico");
        assertThat(seen.names()).doesNotHaveDuplicates().doesNotContain("connection");
    }

    @Test
    void aFieldTheResponseVariesOnThatConnectionRemovedIsNotStored() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> Replies.write(out, 200,
                "lang=" + req.head().get("accept-language"), "Cache-Control: max-age=60", "Vary: Accept-Language"));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o))
                .cache(CacheConfig.builder().build()).build());
        Http.Response hidden = h.get("x", "/v", "Accept-Language: fr", "Connection: Accept-Language");
        assertThat(hidden.text()).isEqualTo("lang=null");
        Http.Response french = h.get("x", "/v", "Accept-Language: fr");
        assertThat(french.text()).isEqualTo("lang=fr");
        assertThat(french.header("x-cache")).isEqualTo("MISS");
        assertThat(h.get("x", "/v", "Accept-Language: fr").header("x-cache")).isEqualTo("HIT");
    }

    @Test
    void aBackendsConnectionFieldCannotRemoveTheResponseFraming() throws Exception {
        start("Connection: Content-Length, Transfer-Encoding, Date\r\n", false);
        try (ProxyHarness.Client c = h.client()) {
            for (int i = 0; i < 3; i++) {
                Http.Response r = c.get("x", "/r" + i);
                assertThat(r.text()).isEqualTo("GET /r" + i + " HTTP/1.1");
                assertThat(r.header("content-length")).isEqualTo(Integer.toString(r.body().length));
                assertThat(r.header("date")).isNotNull();
                assertThat(r.header("connection")).isNull();
            }
        }
        await().until(() -> backend.requests.size() == 3);
        assertThat(backend.requests).extracting(LengthOnlyBackend.Request::connection).containsOnly(1);
    }
}
