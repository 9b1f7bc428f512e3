package dev.portico.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Pools by Host, the default pool, and 3zsd's three ways to pick a backend. */
@Timeout(30)
class RoutingTest {

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    @Test
    void routesByHostWithTheDefaultPoolForOthers() throws Exception {
        Origin api = h.named("api");
        Origin site = h.named("site");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", site))
                .pool("api.example.com", ProxyHarness.pool("roundrobin", api)).build());
        assertThat(h.get("api.example.com", "/x").text()).isEqualTo("api");
        assertThat(h.get("API.example.com:8080", "/x").text()).isEqualTo("api");
        assertThat(h.get("other.example.com", "/x").text()).isEqualTo("site");
        Http.Response r = h.get("www.example.com", "/");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("via")).isEqualTo("1.1 portico");
    }

    @Test
    void roundRobinAlternates() throws Exception {
        Origin a = h.named("a");
        Origin b = h.named("b");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", a, b)).build());
        StringBuilder seen = new StringBuilder();
        try (ProxyHarness.Client c = h.client()) {
            for (int i = 0; i < 6; i++) {
                seen.append(c.get("x", "/" + i).text());
            }
        }
        assertThat(seen.toString()).isIn("ababab", "bababa");
    }

    @Test
    void ipHashIsStickyAndTrustsForwardedForFromTrustedPeers() throws Exception {
        Origin[] os = {h.named("a"), h.named("b"), h.named("c"), h.named("d")};
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("iphash", os))
                .trustedProxy(dev.portico.core.net.Cidr.parse("127.0.0.0/8")).build());
        String first = h.get("x", "/1").text();
        for (int i = 0; i < 5; i++) {
            assertThat(h.get("x", "/p" + i).text()).isEqualTo(first);
        }
        // Clients forwarded by a trusted peer are hashed by their own /24: one network, one backend.
        Set<String> perClient = new HashSet<>();
        for (int net = 1; net <= 40; net++) {
            String a = h.get("x", "/", "X-Forwarded-For: 10.0." + net + ".7, 127.0.0.1").text();
            String b = h.get("x", "/other", "X-Forwarded-For: 10.0." + net + ".200").text();
            assertThat(b).isEqualTo(a);
            perClient.add(a);
        }
        assertThat(perClient).hasSizeGreaterThan(1);
    }

    @Test
    void ipHashIgnoresForwardedForFromUntrustedPeers() throws Exception {
        Origin[] os = {h.named("a"), h.named("b"), h.named("c"), h.named("d")};
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("iphash", os)).build());
        Set<String> seen = new HashSet<>();
        for (int net = 1; net <= 20; net++) {
            seen.add(h.get("x", "/", "X-Forwarded-For: 10.0." + net + ".7").text());
        }
        assertThat(seen).hasSize(1);
    }

    @Test
    void urlHashKeepsAPathOnOneBackend() throws Exception {
        Origin[] os = {h.named("a"), h.named("b"), h.named("c"), h.named("d")};
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("urlhash", os)).build());
        Set<String> all = new HashSet<>();
        for (int i = 0; i < 30; i++) {
            String path = "/item/" + i;
            String first = h.get("x", path).text();
            assertThat(h.get("x", path + "?q=" + i).text()).isEqualTo(first);
            all.add(first);
        }
        assertThat(all).hasSizeGreaterThan(1);
    }

    @Test
    void upstreamSchedulersAreAccepted() throws Exception {
        Origin a = h.named("a");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("leastconns", a)).build());
        assertThat(h.get("x", "/").text()).isEqualTo("a");
    }

    @Test
    void aReloadSwitchesPoolsWithoutClosingTheListener() throws Exception {
        Origin a = h.named("a");
        Origin b = h.named("b");
        ProxyConfig first = ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", a)).build();
        h.start(first);
        assertThat(h.get("x", "/").text()).isEqualTo("a");
        int port = h.proxy.port();
        ProxyConfig.Builder next = ProxyConfig.builder().pool("*", ProxyHarness.pool("roundrobin", b));
        first.listen().forEach(next::listen);
        h.proxy.reconfigure(next.build());
        assertThat(h.proxy.port()).isEqualTo(port);
        assertThat(h.get("x", "/").text()).isEqualTo("b");
    }
}
