package dev.portico.lb;

import dev.portico.core.transport.LinuxNet;
import dev.portico.core.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.portico.lb.LbHarness.readLine;
import static dev.portico.lb.LbHarness.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** PROXY headers accepted from trusted peers in front: v1, v2, malformed, missing, untrusted. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProxyAcceptTest {

    private final LbHarness h = new LbHarness();

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    static byte[] v1(String line) {
        return line.getBytes(StandardCharsets.US_ASCII);
    }

    /** A v2 PROXY TCP4 header with one TLV (which must be skipped). */
    static byte[] v2(int src, int dst, int sport, int dport) {
        ByteBuffer b = ByteBuffer.allocate(16 + 12 + 5);
        b.put(new byte[]{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        b.put((byte) 0x21).put((byte) 0x11).putShort((short) (12 + 5));
        b.putInt(src).putInt(dst).putShort((short) sport).putShort((short) dport);
        b.put((byte) 0x04).putShort((short) 2).put((byte) 'n').put((byte) 's');
        return b.array();
    }

    private static void write(Socket s, byte[]... parts) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            all.writeBytes(p);
        }
        OutputStream out = s.getOutputStream();
        out.write(all.toByteArray());
        out.flush();
    }

    @Test
    void v1FromATrustedPeerIsStrippedAndTheRealClientIsPassedOnInV2() throws Exception {
        TestBackend capture = h.backend("capture", TestBackend.Mode.CAPTURE);
        capture.captureBytes = 28 + 6;
        h.start(LbHarness.config().backend(capture.address()).acceptProxy("127.0.0.0/8")
                .proxyProtocol(ProxyProtocol.V2).build());
        // Served by the native engine where it runs (ProxyAcceptNettyTest covers the Netty path).
        assertThat(h.lb.nativePerListener()).containsExactly(LinuxNet.available()
                && h.transport.kind() != Transport.Kind.NIO && System.getProperty("portico.lb.engine") == null);

        try (Socket s = h.connect()) {
            // The header and the first client bytes arrive in one segment.
            write(s, v1("PROXY TCP4 192.0.2.7 198.51.100.1 5555 443\r\n"), v1("hello\n"));
            ByteBuffer got = ByteBuffer.wrap(s.getInputStream().readNBytes(28 + 6));
            got.position(12);
            assertThat(got.get()).isEqualTo((byte) 0x21);
            assertThat(got.get()).isEqualTo((byte) 0x11);
            assertThat(got.getShort()).isEqualTo((short) 12);
            assertThat(got.getInt()).isEqualTo(0xC0000207);
            assertThat(got.getInt()).isEqualTo(0xC6336401);
            assertThat(got.getShort() & 0xFFFF).isEqualTo(5555);
            assertThat(got.getShort() & 0xFFFF).isEqualTo(443);
            byte[] rest = new byte[6];
            got.get(rest);
            assertThat(new String(rest, StandardCharsets.US_ASCII)).isEqualTo("hello\n");
        }
        assertThat(h.lb.metrics().proxyHeaderRejectedTotal()).isZero();
    }

    @Test
    void v2FromATrustedPeerSplitOverTwoWritesIsPassedOnInV1() throws Exception {
        TestBackend capture = h.backend("capture", TestBackend.Mode.CAPTURE);
        String expected = "PROXY TCP4 10.1.2.3 10.9.9.9 4444 80\r\nping";
        capture.captureBytes = expected.length();
        h.start(LbHarness.config().backend(capture.address()).acceptProxy("127.0.0.1")
                .proxyProtocol(ProxyProtocol.V1).build());

        try (Socket s = h.connect()) {
            s.setTcpNoDelay(true);
            byte[] header = v2(0x0A010203, 0x0A090909, 4444, 80);
            write(s, java.util.Arrays.copyOf(header, 10));
            // Once the connection is accepted the first part is usually read alone; the parser
            // test feeds headers byte by byte for the deterministic version of this.
            await().until(() -> h.lb.openConnections() == 1);
            write(s, java.util.Arrays.copyOfRange(header, 10, header.length), v1("ping"));
            byte[] got = s.getInputStream().readNBytes(expected.length());
            assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo(expected);
        }
    }

    @Test
    void theRealClientAddressDrivesHashScheduling() throws Exception {
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        TestBackend b = h.backend("b", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().scheduler("maglev").backend(a.address()).backend(b.address())
                .acceptProxy("127.0.0.0/8").build());

        Map<String, String> placement = new HashMap<>();
        Set<String> used = new HashSet<>();
        for (int round = 0; round < 2; round++) {
            for (int i = 1; i <= 16; i++) {
                String ip = "203.0.113." + i;
                try (Socket s = h.connect()) {
                    write(s, v1("PROXY TCP4 " + ip + " 198.51.100.1 40000 443\r\n"));
                    String name = readLine(s);
                    send(s, "ping\n");
                    assertThat(readLine(s)).isEqualTo("ping");
                    used.add(name);
                    String before = placement.putIfAbsent(ip, name);
                    if (before != null) {
                        assertThat(name).as("client %s", ip).isEqualTo(before);
                    }
                }
            }
        }
        // All connections come from 127.0.0.1: only the addresses in the headers can spread them.
        assertThat(used).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void malformedHeadersFromATrustedPeerAreClosedAndCounted() throws Exception {
        TestBackend echo = h.backend("echo", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(echo.address()).acceptProxy("127.0.0.0/8")
                .health(LbHarness.FAST_TCP).build());
        String[] bad = {
            "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            "PROXY TCP4 999.1.1.1 10.0.0.1 1 2\r\n",
            "PROXY TCP4 10.0.0.1 10.0.0.2 1 2\n",
            "PROXY TCP4 10.0.0.1 10.0.0.2 65536 2\r\n",
            "PROXY " + "X".repeat(120),
        };
        for (String text : bad) {
            try (Socket s = h.connect()) {
                write(s, v1(text));
                assertThat(s.getInputStream().read()).as(text).isEqualTo(-1);
            }
        }
        try (Socket s = h.connect()) {
            byte[] header = v2(1, 2, 3, 4);
            header[12] = 0x31; // version 3
            write(s, header);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        await().until(() -> h.lb.metrics().proxyHeaderRejectedTotal() == bad.length + 1);
        await().until(() -> h.lb.openConnections() == 0);
        // No connection was placed on the backend.
        assertThat(h.lb.backend("main", echo.address()).stats().total()).isZero();
    }

    @Test
    void aTrustedPeerThatSendsNoHeaderIsClosedAfterTheConnectTimeout() throws Exception {
        TestBackend echo = h.backend("echo", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(echo.address()).acceptProxy("127.0.0.0/8")
                .connectTimeout(Duration.ofMillis(300)).build());

        try (Socket s = h.connect()) {
            long start = System.nanoTime();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        }
        assertThat(h.lb.metrics().proxyHeaderRejectedTotal()).isEqualTo(1);
        assertThat(h.lb.backend("main", echo.address()).stats().total()).isZero();
    }

    @Test
    void anUntrustedPeersHeaderIsNotParsedButRelayedAsData() throws Exception {
        TestBackend capture = h.backend("capture", TestBackend.Mode.CAPTURE);
        h.start(LbHarness.config().backend(capture.address()).acceptProxy("10.0.0.0/8")
                .proxyProtocol(ProxyProtocol.V1).build());

        try (Socket s = new Socket()) {
            s.bind(new java.net.InetSocketAddress(TestBackend.LOOPBACK, 0));
            String forged = "PROXY TCP4 10.6.6.6 10.0.0.1 6666 80\r\n";
            String expected = "PROXY TCP4 127.0.0.1 127.0.0.1 " + s.getLocalPort() + " " + h.lb.port() + "\r\n" + forged;
            capture.captureBytes = expected.length();
            s.setSoTimeout(10_000);
            s.connect(new java.net.InetSocketAddress(TestBackend.LOOPBACK, h.lb.port()));
            write(s, v1(forged));
            byte[] got = s.getInputStream().readNBytes(expected.length());
            assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo(expected);
        }
        assertThat(h.lb.metrics().proxyHeaderRejectedTotal()).isZero();
    }
}
