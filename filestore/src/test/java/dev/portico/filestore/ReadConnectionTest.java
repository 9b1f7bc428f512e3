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
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reads keep their node connections: after a burst of concurrent reads, the next burst as large
 * goes over the connections the first one opened, however many that took, and opens none.
 */
@Timeout(60)
class ReadConnectionTest {

    /** Concurrent reads in a burst: more than a small idle pool would keep. */
    private static final int BURST = 48;

    /** One event loop, so that all the reads share one loop's pool of node connections. */
    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension(1, Clock.systemUTC());

    @TempDir
    Path dir;

    private ServerSocket server;
    /** The node connections that carried a read. */
    private final Set<Integer> used = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    /** Holds every read of a burst until the whole burst is at the node. */
    private volatile CountDownLatch burst;

    @AfterEach
    void stopNode() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    /** A node that answers each GET with a small file once all reads of the current burst arrived. */
    private String startNode() throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 256);
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
                if (head.startsWith("GET /_3fs_0/")) {
                    used.add(id);
                    CountDownLatch b = burst;
                    b.countDown();
                    if (!b.await(20, TimeUnit.SECONDS)) {
                        return;
                    }
                }
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the router went away
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

    private void readBurst(StoreHarness store, RunningService router) {
        burst = new CountDownLatch(BURST);
        List<CompletableFuture<HttpResponse<String>>> reads = new ArrayList<>();
        for (int i = 0; i < BURST; i++) {
            HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.port() + "/_3fs_0/f" + i))
                    .timeout(Duration.ofSeconds(30)).build();
            reads.add(store.client.sendAsync(r, HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> f : reads) {
            HttpResponse<String> r = f.join();
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("hello");
        }
    }

    @Test
    void aSecondBurstOfReadsOpensNoNodeConnection() throws Exception {
        StoreHarness store = new StoreHarness(portico);
        TreeMap<Integer, List<String>> stages = new TreeMap<>();
        stages.put(0, List.of(startNode()));
        RunningService router = store.start(store.router(dir.resolve("state")).redundancy(1).writeQuorum(1)
                .pool(new StorePool("*", stages, 0)).build());

        readBurst(store, router);
        assertThat(used).as("node connections the first burst needed").hasSize(BURST);
        readBurst(store, router);
        assertThat(used).as("node connections after the second burst").hasSize(BURST);
    }
}
