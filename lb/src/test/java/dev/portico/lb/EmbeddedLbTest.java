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
}
