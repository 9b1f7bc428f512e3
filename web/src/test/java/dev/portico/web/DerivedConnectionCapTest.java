package dev.portico.web;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.limits.ConnectionCap;
import dev.portico.core.limits.DescriptorBudget;
import dev.portico.core.limits.IdleConnection;
import dev.portico.testing.IdleFlood;
import dev.portico.testing.PorticoExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A web service without {@code limits.connections} takes its cap from the descriptor limit, and a
 * flood of idle connections above it gets 503 instead of using up the process's descriptors.
 */
@Timeout(60)
class DerivedConnectionCapTest {

    /** 200 descriptors: 100 kept for the process, 64 for admin, 36 for the one service. */
    private static final DescriptorBudget SMALL = new DescriptorBudget(200, 64, 1, true);

    @TempDir
    Path root;

    private final WebHarness web = new WebHarness();
    private IdleFlood flood;

    @AfterEach
    void close() throws Exception {
        if (flood != null) {
            flood.close();
        }
        web.close();
    }

    private WebServer start(String yaml) throws Exception {
        Files.writeString(root.resolve("ok.txt"), "fine");
        WebConfig config = PorticoExtension.parse(new WebServiceType(), "site",
                "listen: [127.0.0.1:0]\nroot: " + root + "\n" + yaml);
        ServiceContext c = web.context;
        web.server = new WebServer("site", config,
                new ServiceContext(c.transport(), c.workers(), c.meters(), c.clock(), c.blocking(), SMALL), List.of());
        web.server.start();
        return web.server;
    }

    @Test
    void theDefaultCapComesFromTheDescriptorLimit() throws Exception {
        WebServer server = start("");
        int cap = SMALL.defaultMaxConnections(1);
        assertThat(cap).isEqualTo(36);
        assertThat(server.config().http().maxConnections()).isZero();
        assertThat(server.connectionCaps()).containsExactly(new ConnectionCap("site", "connections", cap, 1));

        flood = IdleFlood.connect(server.port(), cap);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == cap);
        for (int i = 0; i < 5; i++) {
            flood.add(server.port());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> flood.closedByServer() >= 5);
        assertThat(flood.closedWith()).hasSize(5).allMatch(r -> r.startsWith("HTTP/1.1 503") && r.endsWith("too many connections"));
        assertThat(flood.stillOpen()).isEqualTo(cap);
    }

    @Test
    void aConfiguredCapWins() throws Exception {
        WebServer server = start("limits: {connections: 500}");
        assertThat(server.connectionCaps()).containsExactly(new ConnectionCap("site", "connections", 500, 1));
    }

    @Test
    void idleConnectionsAreOfferedLongestIdleFirstAndClosedOnTheirLoop() throws Exception {
        WebServer server = start("");
        flood = IdleFlood.connect(server.port(), 3);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 3);
        try (var busy = web.socket()) {
            // A request in progress (headers not complete) is not idle.
            busy.getOutputStream().write("GET /ok.txt HTTP/1.1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 4);
            await().atMost(Duration.ofSeconds(10)).until(() -> idle(server).size() == 3);
            idle(server).forEach(i -> i.close().run());
            await().atMost(Duration.ofSeconds(10)).until(() -> flood.closedByServer() == 3);
            assertThat(server.openConnections()).isEqualTo(1);
            busy.getOutputStream().write("Host: h\r\nConnection: close\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            busy.setSoTimeout(10_000);
            assertThat(WebHarness.readUntil(busy, null)).startsWith("HTTP/1.1 200").endsWith("fine");
        }
    }

    private static List<IdleConnection> idle(WebServer server) {
        List<IdleConnection> out = new ArrayList<>();
        server.idleConnections(out::add);
        return out;
    }
}
