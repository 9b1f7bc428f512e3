package dev.portico.filestore;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** How a copy's digest is learnt: the node's Repr-Digest when it gives one, else by reading the copy. */
@Timeout(30)
class NodeClientTest {

    @Test
    void theSha256MemberOfReprDigestIsRead() {
        assertThat(NodeClient.sha256("sha-256=:AAAA:")).isEqualTo("AAAA");
        assertThat(NodeClient.sha256("sha-512=:BBBB:, SHA-256=:CCCC:")).isEqualTo("CCCC");
        assertThat(NodeClient.sha256("sha-512=:BBBB:")).isNull();
        assertThat(NodeClient.sha256("sha-256=AAAA")).isNull();
        assertThat(NodeClient.sha256(null)).isNull();
    }

    @Test
    void aNodeThatGivesReprDigestIsNotReadAndOneThatDoesNotIs() throws Exception {
        byte[] body = "the copy".getBytes(StandardCharsets.UTF_8);
        String real = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body));
        AtomicInteger gets = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", x -> {
            boolean digests = x.getRequestURI().getPath().startsWith("/digest/");
            if (digests && "sha-256=1".equals(x.getRequestHeaders().getFirst("Want-Repr-Digest"))) {
                x.getResponseHeaders().add("Repr-Digest", "sha-256=:" + real + ":");
            }
            if (x.getRequestMethod().equals("GET")) {
                gets.incrementAndGet();
                x.sendResponseHeaders(200, body.length);
                x.getResponseBody().write(body);
            } else {
                x.sendResponseHeaders(200, -1);
            }
            x.close();
        });
        server.start();
        try (NodeClient client = new NodeClient(Duration.ofSeconds(5), Duration.ofSeconds(10))) {
            String node = "127.0.0.1:" + server.getAddress().getPort();
            assertThat(client.digest(node, "/digest/a")).hasValue(real);
            assertThat(gets.get()).isZero();
            assertThat(client.digest(node, "/plain/a")).hasValue(real);
            assertThat(gets.get()).isEqualTo(1);
        } finally {
            server.stop(0);
        }
    }
}
