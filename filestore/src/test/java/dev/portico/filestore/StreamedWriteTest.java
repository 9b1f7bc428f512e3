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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A large PUT to two replicas, one of which stops reading: the router reads from the client only
 * as fast as the slowest replica takes the body, so the fast replica gets no more than the
 * buffers in between, and the router holds no more than its per-node bound.
 */
@Timeout(120)
class StreamedWriteTest {

    private static final int SIZE = 20 << 20;

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    @TempDir
    Path dir;

    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicLong slowReceived = new AtomicLong();
    private ServerSocket slow;

    @AfterEach
    void closeSlow() throws IOException {
        release.countDown();
        if (slow != null) {
            slow.close();
        }
    }

    /** A node that answers 100 Continue, then reads nothing until released, then takes the body and answers 201. */
    private String startSlowNode() throws IOException {
        slow = new ServerSocket();
        slow.setReceiveBufferSize(32 * 1024);
        slow.bind(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofVirtual().start(() -> {
            while (!slow.isClosed()) {
                try {
                    Socket s = slow.accept();
                    Thread.ofVirtual().start(() -> serve(s));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return "127.0.0.1:" + slow.getLocalPort();
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            String head = readHead(in);
            if (head == null) {
                return; // a health check's connect
            }
            long length = Long.parseLong(head.lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
                    .findFirst().orElseThrow().substring(15).strip());
            OutputStream out = s.getOutputStream();
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            release.await();
            byte[] buf = new byte[65536];
            while (slowReceived.get() < length) {
                int n = in.read(buf);
                if (n < 0) {
                    return;
                }
                slowReceived.addAndGet(n);
            }
            out.write("HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException | InterruptedException e) {
            // the router went away
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            b.append((char) c);
            if (b.toString().endsWith("\r\n\r\n")) {
                return b.toString();
            }
        }
        return null;
    }

    private static byte pattern(long i) {
        return (byte) (i * 31 + (i >>> 11));
    }

    private static long uploadedSoFar(Path root) throws IOException {
        Path d = root.resolve("_3fs_0");
        try (Stream<Path> s = Files.list(d)) {
            return s.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Test
    void theBodyGoesAtTheSlowestReplicasPaceAndArrivesWhole() throws Exception {
        StoreHarness store = new StoreHarness(portico).nodes(dir, 1);
        Files.createDirectories(store.roots.get(0).resolve("_3fs_0"));
        String slowNode = startSlowNode();
        TreeMap<Integer, List<String>> stages = new TreeMap<>();
        stages.put(0, List.of(store.node(0), slowNode));
        RunningService router = store.start(store.router(dir.resolve("state")).pool(new StorePool("*", stages, 0))
                .responseTimeout(Duration.ofSeconds(60)).build());

        AtomicLong written = new AtomicLong();
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        try (Socket client = new Socket()) {
            client.setSendBufferSize(64 * 1024);
            client.connect(new InetSocketAddress("127.0.0.1", router.port()), 5000);
            client.setSoTimeout(60_000);
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = client.getOutputStream();
                    out.write(("PUT /_3fs_0/big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: " + SIZE + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = new byte[16384];
                    for (long at = 0; at < SIZE; at += chunk.length) {
                        for (int i = 0; i < chunk.length; i++) {
                            chunk[i] = pattern(at + i);
                        }
                        sent.update(chunk);
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                    out.flush();
                } catch (IOException e) {
                    // reported by the assertions below
                }
            });

            // the fast node's upload grows, then stops while the slow node reads nothing
            long[] last = {-1};
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
                long now = uploadedSoFar(store.roots.get(0));
                boolean still = now > 0 && now == last[0];
                last[0] = now;
                return still;
            });
            long fastGot = uploadedSoFar(store.roots.get(0));
            assertThat(fastGot).as("bytes the fast replica got while the slow one took none")
                    .isLessThan(8L << 20);
            assertThat(written.get()).isLessThan(SIZE);

            release.countDown();
            writer.join(Duration.ofSeconds(60));
            String answer = String.valueOf(readHead(client.getInputStream()));
            assertThat(answer).startsWith("HTTP/1.1 201").contains("X-Copies: 2/2");
        }
        Path file = store.roots.get(0).resolve("_3fs_0/big.bin");
        assertThat(Files.size(file)).isEqualTo(SIZE);
        MessageDigest got = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                got.update(buf, 0, n);
            }
        }
        assertThat(got.digest()).isEqualTo(sent.digest());
        assertThat(slowReceived.get()).isEqualTo(SIZE);
    }
}
