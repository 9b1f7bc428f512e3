package dev.portico.lb;

import dev.portico.core.transport.Transport;
import dev.portico.upstream.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.portico.lb.LbHarness.readLine;
import static dev.portico.lb.LbHarness.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Relaying with splice(2) on the epoll transport: large random payloads arrive byte for byte
 * both ways, half-close and the PROXY header work as when copying, the per-host byte counts stay
 * exact, and {@code splice: off} still copies. The epoll transport loads on the machines these
 * tests run on, and every test checks so instead of skipping. Health checks are off: a busy
 * machine can time a fast check out, and these tests are about the data path.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LbSpliceTest {

    private static final int PAYLOAD = 8 << 20;

    private final LbHarness h = new LbHarness();

    @BeforeEach
    void epollIsHere() {
        assertThat(h.transport.kind()).as("the harness transport (splice needs epoll)").isEqualTo(Transport.Kind.EPOLL);
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    @ParameterizedTest
    @EnumSource(Splice.class)
    void largeRandomPayloadComesBackByteForByteAndIsCountedExactly(Splice mode) throws Exception {
        TestBackend echo = h.backend("echo", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().health("none").backend(echo.address()).splice(mode).build());
        byte[] payload = new byte[PAYLOAD];
        new Random(42).nextBytes(payload);

        try (Socket s = h.connect()) {
            assertThat(readLine(s)).isEqualTo("echo");
            // Write on another thread: the echo comes back while we are still sending.
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (int off = 0; off < payload.length; off += 100_000) {
                        out.write(payload, off, Math.min(100_000, payload.length - off));
                    }
                    out.flush();
                    s.shutdownOutput();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            byte[] back = s.getInputStream().readAllBytes();
            writer.get(60, TimeUnit.SECONDS);

            assertThat(back.length).isEqualTo(PAYLOAD + 4);
            assertThat(sha256(Arrays.copyOf(back, PAYLOAD))).isEqualTo(sha256(payload));
            assertThat(new String(back, PAYLOAD, 4, StandardCharsets.US_ASCII)).isEqualTo("bye\n");
        }

        Backend host = h.lb.backend("main", echo.address());
        await().until(() -> host.stats().open() == 0 && h.lb.openConnections() == 0);
        assertThat(host.stats().bytesOut()).isEqualTo(PAYLOAD);
        assertThat(host.stats().bytesIn()).isEqualTo("echo\n".length() + PAYLOAD + "bye\n".length());
        // Both directions carried far more than the auto threshold.
        assertThat(h.lb.metrics().splicedTotal()).isEqualTo(mode == Splice.OFF ? 0 : 2);
    }

    @Test
    void shortExchangesAreNotSplicedInAutoMode() throws Exception {
        TestBackend echo = h.backend("echo", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().health("none").backend(echo.address()).splice(Splice.AUTO).build());
        for (int i = 0; i < 5; i++) {
            assertThat(h.roundTrip()).isEqualTo("echo");
        }
        Backend host = h.lb.backend("main", echo.address());
        await().until(() -> host.stats().open() == 0);
        assertThat(host.stats().bytesIn()).isEqualTo(5 * ("echo\n".length() + "ping\n".length() + "bye\n".length()));
        assertThat(host.stats().bytesOut()).isEqualTo(5 * "ping\n".length());
        assertThat(h.lb.metrics().splicedTotal()).isZero();
    }

    @Test
    void clientHalfCloseWhileSplicingStillGetsTheBackendsAnswer() throws Exception {
        TestBackend echo = h.backend("echo", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().health("none").backend(echo.address()).splice(Splice.ON).build());

        try (Socket s = h.connect()) {
            assertThat(readLine(s)).isEqualTo("echo");
            send(s, "last words\n");
            s.shutdownOutput();
            String rest = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(rest).isEqualTo("last words\nbye\n");
        }
        Backend host = h.lb.backend("main", echo.address());
        await().until(() -> h.lb.openConnections() == 0 && host.stats().open() == 0);
        assertThat(host.stats().bytesOut()).isEqualTo("last words\n".length());
        assertThat(host.stats().bytesIn()).isEqualTo("echo\nlast words\nbye\n".length());
        assertThat(h.lb.metrics().splicedTotal()).isEqualTo(2);
    }

    @Test
    void backendFinAfterASplicedDownloadEndsTheClientStreamAfterTheLastByte() throws Exception {
        TestBackend source = h.backend("source", TestBackend.Mode.SOURCE);
        long total = 20L << 20;
        source.sourceBytes = total;
        h.start(LbHarness.config().health("none").backend(source.address()).splice(Splice.AUTO).build());

        try (Socket s = h.connect()) {
            send(s, "g");
            InputStream in = s.getInputStream();
            byte[] buf = new byte[256 * 1024];
            long offset = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] != TestBackend.pattern(offset + i)) {
                        throw new AssertionError("byte " + (offset + i) + " differs");
                    }
                }
                offset += n;
            }
            assertThat(offset).isEqualTo(total);
        }
        Backend host = h.lb.backend("main", source.address());
        await().until(() -> host.stats().open() == 0 && h.lb.openConnections() == 0);
        assertThat(host.stats().bytesIn()).isEqualTo(total);
        assertThat(h.lb.metrics().splicedTotal()).isEqualTo(1);
    }

    @Test
    void proxyHeaderGoesOutBeforeTheSplicedBytes() throws Exception {
        TestBackend capture = h.backend("capture", TestBackend.Mode.CAPTURE);
        h.start(LbHarness.config().health("none").backend(capture.address()).proxyProtocol(ProxyProtocol.V1).splice(Splice.ON).build());
        byte[] payload = new byte[1 << 20];
        new Random(7).nextBytes(payload);

        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(TestBackend.LOOPBACK, 0));
            String header = "PROXY TCP4 127.0.0.1 127.0.0.1 " + s.getLocalPort() + " " + h.lb.port() + "\r\n";
            capture.captureBytes = header.length() + payload.length;
            s.setSoTimeout(10_000);
            s.connect(new InetSocketAddress(TestBackend.LOOPBACK, h.lb.port()));
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    s.getOutputStream().write(payload);
                    s.getOutputStream().flush();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            got.write(s.getInputStream().readNBytes(header.length() + payload.length));
            writer.get(60, TimeUnit.SECONDS);
            byte[] all = got.toByteArray();
            assertThat(new String(all, 0, header.length(), StandardCharsets.US_ASCII)).isEqualTo(header);
            assertThat(sha256(Arrays.copyOfRange(all, header.length(), all.length))).isEqualTo(sha256(payload));
        }
        Backend host = h.lb.backend("main", capture.address());
        await().until(() -> host.stats().open() == 0);
        assertThat(host.stats().bytesOut()).isEqualTo(payload.length);
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }
}
