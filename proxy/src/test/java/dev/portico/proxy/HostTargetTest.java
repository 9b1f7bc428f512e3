package dev.portico.proxy;

import dev.portico.core.net.Cidr;
import dev.portico.proxy.cache.CacheConfig;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One Host and one target per request, the same for routing, the cache key and the forwarded
 * head: absolute-form targets, trailing dots, malformed Hosts, Forwarded quoting and the client
 * address iphash takes from X-Forwarded-For.
 */
@Timeout(30)
class HostTargetTest {

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    /** A backend serving several sites by name, as a server must (the target's authority wins). */
    private Origin virtualHosts() throws IOException {
        return h.origin("vhosts", (req, in, out) -> {
            String target = req.head().line().split(" ")[1];
            String site = target.startsWith("http://") ? target.substring(7, target.indexOf('/', 7))
                    : req.head().get("host");
            return Replies.write(out, 200, "site " + site, "Cache-Control: max-age=60");
        });
    }

    private Http.Response raw(String request) throws IOException {
        try (ProxyHarness.Client c = h.client()) {
            c.send(request);
            return c.read(false);
        }
    }

    @Test
    void anAbsoluteFormTargetReplacesTheHostAndIsForwardedInOriginForm() throws Exception {
        Origin o = virtualHosts();
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o))
                .cache(CacheConfig.builder().build()).build());
        Http.Response evil = raw("GET http://evil.example/a?x=1 HTTP/1.1\r\nHost: victim.example\r\n\r\n");
        assertThat(evil.text()).isEqualTo("site evil.example");
        Http.Head seen = o.seen.getFirst().head();
        assertThat(seen.line()).isEqualTo("GET /a?x=1 HTTP/1.1");
        assertThat(seen.get("host")).isEqualTo("evil.example");
        assertThat(seen.get("forwarded")).isEqualTo("for=127.0.0.1;proto=http;host=\"evil.example\"");
        // Filed under evil.example's URL, not the victim's.
        Http.Response victim = h.get("victim.example", "/a?x=1");
        assertThat(victim.text()).isEqualTo("site victim.example");
        assertThat(victim.header("x-cache")).isEqualTo("MISS");
        Http.Response again = raw("GET HTTP://Evil.Example:80 HTTP/1.1\r\nHost: victim.example\r\n\r\n");
        assertThat(again.text()).isEqualTo("site evil.example:80");
        assertThat(o.seen.getLast().head().line()).isEqualTo("GET / HTTP/1.1");
    }

    @Test
    void anAbsoluteFormTargetIsRoutedByItsAuthority() throws Exception {
        Origin site = h.named("site");
        Origin api = h.named("api");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", site))
                .pool("api.example", ProxyHarness.pool("roundrobin", api)).build());
        assertThat(raw("GET http://api.example/x HTTP/1.1\r\nHost: www.example\r\n\r\n").text()).isEqualTo("api");
        assertThat(raw("GET http://www.example/x HTTP/1.1\r\nHost: api.example\r\n\r\n").text()).isEqualTo("site");
    }

    @Test
    void aTrailingDotIsRemovedOnceForRoutingTheKeyAndTheBackend() throws Exception {
        Origin victim = h.origin("victim", Replies.by(r -> new String[] {"Cache-Control: max-age=60"},
                r -> "victim for " + r.head().get("host")));
        Origin other = h.origin("other", Replies.always(200, "default pool", "Cache-Control: max-age=60"));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", other))
                .pool("victim.test", ProxyHarness.pool("roundrobin", victim))
                .cache(CacheConfig.builder().build()).build());
        Http.Response dotted = h.get("Victim.Test.", "/p");
        assertThat(dotted.text()).isEqualTo("victim for victim.test");
        Http.Response plain = h.get("victim.test", "/p");
        assertThat(plain.text()).isEqualTo("victim for victim.test");
        assertThat(plain.header("x-cache")).isEqualTo("HIT");
        assertThat(h.get("victim.test.:8080", "/p").text()).isEqualTo("victim for victim.test:8080");
        assertThat(other.seen).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/b", "user@victim.test", "a b", "a\tb", "a\\", "a\"b", "x:99999", "x:0", "x:8o",
            "x:80:80", "[::1", "[::1]x", "[zz]", "victim.test..", ".victim.test", ".", "a%zz", "a, b", ""})
    void aMalformedHostIsRefused(String host) throws Exception {
        Origin o = h.named("o");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        Http.Response r = raw("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.header("connection")).isEqualTo("close");
        assertThat(o.seen).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET / HTTP/1.1\r\n\r\n", "GET http://user@evil.example/ HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET ftp://evil.example/ HTTP/1.1\r\nHost: x\r\n\r\n", "GET http:///a HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET a/b HTTP/1.1\r\nHost: x\r\n\r\n", "GET * HTTP/1.1\r\nHost: x\r\n\r\n"})
    void aBadTargetOrAMissingHostIsRefused(String request) throws Exception {
        Origin o = h.named("o");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        assertThat(raw(request).status()).isEqualTo(400);
        assertThat(o.seen).isEmpty();
    }

    @Test
    void validHostsPassNormalised() throws Exception {
        Origin o = h.origin("o", Replies.by(r -> new String[0], r -> String.valueOf(r.head().get("host"))));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        assertThat(h.get("WWW.Example.COM:08080", "/").text()).isEqualTo("www.example.com:8080");
        assertThat(h.get("[::1]:8080", "/").text()).isEqualTo("[::1]:8080");
        assertThat(h.get("[FE80::1]", "/").text()).isEqualTo("[fe80::1]");
        assertThat(h.get("x:", "/").text()).isEqualTo("x");
        assertThat(h.get("a_b-c.example", "/").text()).isEqualTo("a_b-c.example");
        assertThat(raw("GET / HTTP/1.0\r\n\r\n").status()).isEqualTo(200);
    }

    @Test
    void forwardedQuotesTheHostAsAQuotedString() {
        EmbeddedChannel ch = new EmbeddedChannel();
        try {
            ClientForwarding f = ClientForwarding.of(ch, InetAddress.getLoopbackAddress());
            assertThat(f.element("a\\")).isEqualTo("for=127.0.0.1;proto=http;host=\"a\\\\\"");
            assertThat(f.element("a\"b")).isEqualTo("for=127.0.0.1;proto=http;host=\"a\\\"b\"");
            assertThat(f.element("a.example")).isEqualTo("for=127.0.0.1;proto=http;host=\"a.example\"");
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void ipHashTakesTheRightmostUntrustedForwardedForAddress() throws Exception {
        Origin[] os = {h.named("a"), h.named("b"), h.named("c"), h.named("d")};
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("iphash", os))
                .trustedProxy(Cidr.parse("127.0.0.0/8")).trustedProxy(Cidr.parse("192.168.0.0/16")).build());
        // The client writes what it likes on the left; the trusted proxy appended the real address.
        Set<String> backends = new HashSet<>();
        for (int net = 1; net <= 40; net++) {
            backends.add(h.get("x", "/", "X-Forwarded-For: 10.0." + net + ".7, 203.0.113.5").text());
            backends.add(h.get("x", "/", "X-Forwarded-For: 10.0." + net + ".7", "X-Forwarded-For: 203.0.113.5, 192.168.1.1")
                    .text());
        }
        assertThat(backends).hasSize(1);
        // The real clients, one per network, spread over the backends.
        Set<String> clients = new HashSet<>();
        for (int net = 1; net <= 40; net++) {
            clients.add(h.get("x", "/", "X-Forwarded-For: 198.51.100.1, 10.0." + net + ".7").text());
        }
        assertThat(clients).hasSizeGreaterThan(1);
    }
}
