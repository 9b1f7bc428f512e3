package dev.portico.filestore;

import dev.portico.testing.PorticoExtension;
import dev.portico.testing.RunningService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How small writes reach the nodes: with their body at once (no {@code Expect: 100-continue}, so a
 * node that never sends 100 Continue is not waited for), and over kept node connections, so that
 * sequential PUTs cost no new connection each.
 */
@Timeout(60)
class WriteConnectionTest {

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    @TempDir
    Path dir;

    private final List<FakeNode> fakes = new ArrayList<>();

    @AfterEach
    void stopFakes() throws IOException {
        for (FakeNode f : fakes) {
            f.server.close();
        }
    }

    /** One request a fake node took: on which of its connections, its head and its body. */
    record Taken(int connection, String head, String body) {
    }

    /**
     * A WebDAV node in miniature: keeps each connection open, never sends 100 Continue, reads a
     * request's Content-Length bytes of body and answers 201.
     */
    private final class FakeNode {
        final ServerSocket server = new ServerSocket();
        final List<Taken> taken = new CopyOnWriteArrayList<>();
        final AtomicInteger connections = new AtomicInteger();

        FakeNode() throws IOException {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            fakes.add(this);
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        int id = connections.incrementAndGet();
                        Thread.ofVirtual().start(() -> serve(s, id));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        String address() {
            return "127.0.0.1:" + server.getLocalPort();
        }

        private void serve(Socket s, int id) {
            try (s) {
                s.setSoTimeout(30_000);
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (true) {
                    String head = readHead(in);
                    if (head == null) {
                        return; // a health check's connect, or the router closed the connection
                    }
                    int length = head.lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("content-length:"))
                            .findFirst().map(l -> Integer.parseInt(l.substring(15).strip())).orElse(0);
                    String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
                    taken.add(new Taken(id, head, body));
                    out.write("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            } catch (IOException e) {
                // the router went away
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            b.append((char) c);
            if (b.length() >= 4 && b.lastIndexOf("\r\n\r\n") == b.length() - 4) {
                return b.toString();
            }
        }
        return null;
    }

    private RunningService routerOver(StoreHarness store, FakeNode a, FakeNode b) throws Exception {
        TreeMap<Integer, List<String>> stages = new TreeMap<>();
        stages.put(0, List.of(a.address(), b.address()));
        return store.start(store.router(dir.resolve("state")).pool(new StorePool("*", stages, 0)).build());
    }

    @Test
    void sequentialPutsReuseOneConnectionPerNode() throws Exception {
        StoreHarness store = new StoreHarness(portico);
        FakeNode a = new FakeNode();
        FakeNode b = new FakeNode();
        RunningService router = routerOver(store, a, b);

        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = store.send(router, "PUT", "/_3fs_0/f" + i, "content " + i);
            assertThat(r.statusCode()).isEqualTo(201);
            assertThat(r.headers().firstValue("X-Copies")).hasValue("2/2");
        }
        for (FakeNode n : List.of(a, b)) {
            assertThat(n.taken).hasSize(5);
            assertThat(n.taken).extracting(Taken::connection).as("the node connections the PUTs went over")
                    .containsOnly(n.taken.getFirst().connection());
            assertThat(n.taken).extracting(Taken::head)
                    .noneMatch(h -> h.toLowerCase(Locale.ROOT).contains("connection: close"));
        }
    }

    @Test
    void aSmallBodyGoesWithItsHeadWithoutWaitingForContinue() throws Exception {
        StoreHarness store = new StoreHarness(portico);
        FakeNode a = new FakeNode();
        FakeNode b = new FakeNode();
        RunningService router = routerOver(store, a, b);

        HttpResponse<String> r = store.send(router, "PUT", "/_3fs_0/small", "a small body");
        assertThat(r.statusCode()).isEqualTo(201);
        for (FakeNode n : List.of(a, b)) {
            assertThat(n.taken).singleElement().satisfies(t -> {
                assertThat(t.head().toLowerCase(Locale.ROOT)).doesNotContain("expect:");
                assertThat(t.body()).isEqualTo("a small body");
            });
        }
    }
}
