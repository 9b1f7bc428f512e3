package dev.portico.examples;

import dev.portico.core.net.HostPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class LbExampleTest {

    /** One request on a new connection: the balancer picks a backend per connection. */
    private String get(int port) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            return response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }

    @Test
    void balancesSwitchesPortDrainsAndAdds() throws Exception {
        try (LbExample ex = new LbExample(new HostPort("127.0.0.1", 0))) {
            int first = ex.port();
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                seen.add(get(first).trim());
            }
            assertThat(seen).containsExactlyInAnyOrder("backend 1 answered", "backend 2 answered");

            try (Socket open = new Socket("127.0.0.1", first)) {
                open.setSoTimeout(10_000);
                int next;
                try (ServerSocket probe = new ServerSocket(0)) {
                    next = probe.getLocalPort();
                }
                assertThat(ex.switchPort(new HostPort("127.0.0.1", next)).getPort()).isEqualTo(next);
                assertThat(get(next)).contains("answered");
                assertThatThrownBy(() -> new Socket("127.0.0.1", first).close()).isInstanceOf(IOException.class);
                // the connection opened before the switch still works
                open.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(open.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).contains("answered");

                ex.balancer().service().drain("main", ex.backend(0));
                String third = ex.addBackend();
                assertThat(third).startsWith("127.0.0.1:");
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    Set<String> now = new HashSet<>();
                    for (int i = 0; i < 6; i++) {
                        now.add(get(next).trim());
                    }
                    assertThat(now).containsExactlyInAnyOrder("backend 2 answered", "backend 3 answered");
                });
            }
        }
    }
}
