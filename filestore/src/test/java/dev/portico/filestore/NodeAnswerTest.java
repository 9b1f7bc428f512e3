package dev.portico.filestore;

import dev.portico.testing.PorticoExtension;
import dev.portico.testing.RunningService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node's answer reaches the client whole and framed once, whether its body came with its head
 * (one write), came later in pieces (the held head is streamed, not kept until the end), or broke
 * off (the client's connection closes rather than waiting).
 */
@Timeout(60)
class NodeAnswerTest {

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension(1, Clock.systemUTC());

    @TempDir
    Path dir;

    private ServerSocket server;
    /** Released by the test once it has read the first half of the split answer. */
    private final CountDownLatch rest = new CountDownLatch(1);
    private RunningService router;

    @BeforeEach
    void start() throws Exception {
        server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> serve(s));
                } catch (IOException e) {
                    return;
                }
            }
        });
        StoreHarness store = new StoreHarness(portico);
        TreeMap<Integer, List<String>> stages = new TreeMap<>();
        stages.put(0, List.of("127.0.0.1:" + server.getLocalPort()));
        router = store.start(store.router(dir.resolve("state")).redundancy(1).writeQuorum(1)
                .pool(new StorePool("*", stages, 0)).build());
    }

    @AfterEach
    void stop() throws IOException {
        rest.countDown();
        server.close();
    }

    /** Answers by path: whole, split in two with the second half held back, or cut off after the first half. */
    private void serve(Socket s) {
        try (s) {
            s.setSoTimeout(30_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return; // a health check's connect, or the router closed the connection
                }
                String head10 = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-Node: n0\r\n\r\n";
                if (head.startsWith("GET /_3fs_0/whole ")) {
                    out.write((head10 + "helloworld").getBytes(StandardCharsets.US_ASCII));
                } else if (head.startsWith("GET /_3fs_0/split ")) {
                    out.write((head10 + "hello").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    if (!rest.await(20, TimeUnit.SECONDS)) {
                        return;
                    }
                    out.write("world".getBytes(StandardCharsets.US_ASCII));
                } else if (head.startsWith("GET /_3fs_0/cut ")) {
                    out.write((head10 + "hello").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    return;
                } else {
                    out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                }
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

    private Socket client(String path) throws IOException {
        Socket c = new Socket("127.0.0.1", router.port());
        c.setSoTimeout(20_000);
        c.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: files\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        c.getOutputStream().flush();
        return c;
    }

    private static String body(InputStream in, int n) throws IOException {
        return new String(in.readNBytes(n), StandardCharsets.US_ASCII);
    }

    @Test
    void anAnswerThatCameWholeIsFramedOnce() throws Exception {
        try (Socket c = client("/_3fs_0/whole")) {
            String head = readHead(c.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 200 ").contains("\r\nX-Node: n0\r\n", "\r\nVia: 1.1 portico\r\n");
            String lower = head.toLowerCase(Locale.ROOT);
            assertThat(lower).containsOnlyOnce("content-length: 10\r\n").doesNotContain("transfer-encoding");
            assertThat(body(c.getInputStream(), 10)).isEqualTo("helloworld");
        }
    }

    @Test
    void aBodyThatComesInPiecesIsStreamedAsItComes() throws Exception {
        try (Socket c = client("/_3fs_0/split")) {
            String head = readHead(c.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 200 ").contains("\r\nX-Node: n0\r\n");
            assertThat(head.toLowerCase(Locale.ROOT)).containsOnlyOnce("content-length: 10\r\n");
            // the first half arrives while the node still holds the second back
            assertThat(body(c.getInputStream(), 5)).isEqualTo("hello");
            rest.countDown();
            assertThat(body(c.getInputStream(), 5)).isEqualTo("world");
        }
    }

    @Test
    void anAnswerCutOffByTheNodeClosesTheClientsConnection() throws Exception {
        try (Socket c = client("/_3fs_0/cut")) {
            InputStream in = c.getInputStream();
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 200 ");
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            in.transferTo(got); // ends when the router closes the connection
            assertThat(got.toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        }
    }
}
