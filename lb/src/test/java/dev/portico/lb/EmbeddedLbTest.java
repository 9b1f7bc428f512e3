package dev.portico.lb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Socket;

import static dev.portico.lb.LbHarness.readLine;
import static dev.portico.lb.LbHarness.send;
import static org.assertj.core.api.Assertions.assertThat;

@Timeout(20)
class EmbeddedLbTest {

    @Test
    void quickStartBalancesRealTraffic() throws Exception {
        try (TestBackend a = TestBackend.start("a", TestBackend.Mode.ECHO);
             TestBackend b = TestBackend.start("b", TestBackend.Mode.ECHO);
             EmbeddedLb lb = EmbeddedLb.start(LbConfig.builder().listen("127.0.0.1:0")
                     .backend(a.address()).backend(b.address()).build(), 1)) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int i = 0; i < 2; i++) {
                try (Socket s = LbHarness.connect(lb.service().port())) {
                    seen.add(readLine(s));
                    send(s, "hi\n");
                    assertThat(readLine(s)).isEqualTo("hi");
                }
            }
            assertThat(seen).containsExactlyInAnyOrder("a", "b");
            assertThat(lb.meters().get("portico_lb_connections").counter().count()).isEqualTo(2.0);
        }
    }

    @Test
    void routesTlsByServerNameFromTheBuilder() throws Exception {
        try (TlsBackend a = TlsBackend.start("a", false);
             TlsBackend other = TlsBackend.start("other", false);
             EmbeddedLb lb = EmbeddedLb.start(LbConfig.builder().listen("127.0.0.1:0")
                     .group("a", a.address()).group("other", other.address())
                     .sniRoute("*.a.test", "a").sniRoute(LbConfig.SNI_DEFAULT, "other")
                     .sniFallback(SniFallback.CLOSE).clientHelloTimeout(java.time.Duration.ofSeconds(2))
                     .build(), 1)) {
            int port = lb.service().port();
            assertThat(SniRoutingTest.java(port, "www.a.test")).startsWith("group=a ");
            assertThat(SniRoutingTest.java(port, "www.b.test")).startsWith("group=other ");
            assertThat(lb.meters().get("portico_lb_sni_routed").tag("route", "default").counter().count())
                    .isEqualTo(1.0);
        }
    }
}
