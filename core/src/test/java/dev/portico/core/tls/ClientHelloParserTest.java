package dev.portico.core.tls;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ClientHelloParser} on ClientHellos captured from real clients ({@code openssl s_client}
 * 3.0 and the JDK's {@code SSLSocket}, in {@code src/test/resources/dev/portico/core/tls}), cut at
 * every byte offset, and on hellos broken in each of the ways the parser checks.
 */
class ClientHelloParserTest {

    /** {@code openssl s_client -servername www.a.test -alpn h2,http/1.1}: TLS 1.3, one record. */
    private static final String OPENSSL_TLS13 = "openssl-tls13-sni-alpn.bin";
    /** {@code openssl s_client -noservername}. */
    private static final String OPENSSL_NO_SNI = "openssl-nosni.bin";
    /** {@code openssl s_client -servername b.test -tls1_2}. */
    private static final String OPENSSL_TLS12 = "openssl-tls12.bin";
    /** {@code openssl s_client -servername x.a.test -max_send_frag 512 -alpn h2,http/1.1,proto-01-x...}: two records. */
    private static final String OPENSSL_SPLIT = "openssl-split.bin";
    /**
     * The JDK 25 {@code SSLSocket} with {@code SNIHostName("Java.B.Test")} and ALPN h2, http/1.1:
     * the hello's 460 bytes, then the alert records it sent when its read timed out.
     */
    private static final String JAVA = "java-sni-alpn.bin";
    private static final int JAVA_HELLO = 460;

    @Test
    void readsTheServerNameAndAlpnOfRealClients() throws IOException {
        hello(OPENSSL_TLS13, "www.a.test", List.of("h2", "http/1.1"), 1);
        hello(OPENSSL_NO_SNI, null, List.of(), 1);
        hello(OPENSSL_TLS12, "b.test", List.of(), 1);
        ClientHelloParser.Hello split = hello(OPENSSL_SPLIT, "x.a.test", null, 2);
        assertThat(split.alpn()).hasSize(42).startsWith("h2", "http/1.1", "proto-01-x").endsWith("proto-40-x");
        assertThat(split.spansRecords()).isTrue();
        // The JDK keeps the case it was given; the parser lower-cases.
        assertThat(new String(capture(JAVA), StandardCharsets.ISO_8859_1)).contains("Java.B.Test");
        hello(JAVA, "java.b.test", List.of("h2", "http/1.1"), 1);
    }

    private static ClientHelloParser.Hello hello(String file, String name, List<String> alpn, int records)
            throws IOException {
        byte[] bytes = capture(file);
        ClientHelloParser.Result r = ClientHelloParser.parse(bytes, 0, bytes.length);
        assertThat(r).as(file).isInstanceOf(ClientHelloParser.Hello.class);
        ClientHelloParser.Hello h = (ClientHelloParser.Hello) r;
        assertThat(h.serverName()).as(file).isEqualTo(name);
        if (alpn != null) {
            assertThat(h.alpn()).as(file).isEqualTo(alpn);
        }
        assertThat(h.records()).as(file).isEqualTo(records);
        assertThat(h.length()).as(file).isEqualTo(file.equals(JAVA) ? JAVA_HELLO : bytes.length);
        return h;
    }

    @Test
    void everyPrefixNeedsMoreAndEverySplitReadsTheSame() throws IOException {
        for (String file : List.of(OPENSSL_TLS13, OPENSSL_NO_SNI, OPENSSL_TLS12, OPENSSL_SPLIT, JAVA)) {
            byte[] bytes = capture(file);
            ClientHelloParser.Result whole = ClientHelloParser.parse(bytes, 0, bytes.length);
            int helloLength = ((ClientHelloParser.Hello) whole).length();
            for (int k = 0; k < bytes.length; k++) {
                if (k < helloLength) {
                    assertThat(ClientHelloParser.parse(bytes, 0, k)).as(file + " first " + k + " bytes")
                            .isSameAs(ClientHelloParser.NEED_MORE);
                    assertThat(ClientHelloParser.parse(ByteBuffer.wrap(bytes, 0, k))).as(file + " nio prefix " + k)
                            .isSameAs(ClientHelloParser.NEED_MORE);
                } else {
                    assertThat(ClientHelloParser.parse(bytes, 0, k)).as(file + " first " + k + " bytes")
                            .isEqualTo(whole);
                }
                // Two segments, as a reader cumulating into a composite buffer would see them.
                CompositeByteBuf two = Unpooled.compositeBuffer();
                two.addComponent(true, Unpooled.wrappedBuffer(bytes, 0, k));
                two.addComponent(true, Unpooled.wrappedBuffer(bytes, k, bytes.length - k));
                try {
                    assertThat(ClientHelloParser.parse(two)).as(file + " split at " + k).isEqualTo(whole);
                    assertThat(two.readerIndex()).isZero();
                } finally {
                    two.release();
                }
            }
        }
    }

    @Test
    void bytesAfterTheHelloAreNotPartOfIt() throws IOException {
        byte[] hello = capture(OPENSSL_TLS13);
        byte[] more = concat(new byte[] {1, 2, 3}, hello, "tail".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer nio = ByteBuffer.wrap(more, 3, hello.length + 4).slice().position(0);
        ClientHelloParser.Result r = ClientHelloParser.parse(ByteBuffer.wrap(more).position(3));
        assertThat(r).isInstanceOf(ClientHelloParser.Hello.class);
        assertThat(((ClientHelloParser.Hello) r).length()).isEqualTo(hello.length);
        assertThat(ClientHelloParser.parse(nio)).isEqualTo(r);
        ByteBuf buf = Unpooled.wrappedBuffer(more).skipBytes(3);
        assertThat(ClientHelloParser.parse(buf)).isEqualTo(r);
        assertThat(buf.readerIndex()).isEqualTo(3);
    }

    @Test
    void aHelloSpreadOverManyRecordsIsReadUpToTheCap() throws IOException {
        byte[] handshake = handshake(capture(JAVA));
        assertThat(handshake).hasSize(JAVA_HELLO - 5);
        int perRecord = (handshake.length + ClientHelloParser.MAX_RECORDS - 1) / ClientHelloParser.MAX_RECORDS;
        byte[] sixteen = records(handshake, perRecord);
        ClientHelloParser.Result r = ClientHelloParser.parse(sixteen, 0, sixteen.length);
        assertThat(r).isInstanceOf(ClientHelloParser.Hello.class);
        ClientHelloParser.Hello h = (ClientHelloParser.Hello) r;
        assertThat(h.records()).isEqualTo(ClientHelloParser.MAX_RECORDS);
        assertThat(h.serverName()).isEqualTo("java.b.test");
        assertThat(h.length()).isEqualTo(sixteen.length);
        for (int k = 0; k < sixteen.length; k++) {
            assertThat(ClientHelloParser.parse(sixteen, 0, k)).isSameAs(ClientHelloParser.NEED_MORE);
        }
        // One byte per record, as a hostile client might send it: refused after the cap.
        byte[] bytewise = records(handshake, 1);
        assertThat(notTls(bytewise)).contains("more than 16 records");
    }

    @Test
    void refusesWhatIsNotAHandshake() {
        assertThat(notTls("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII))).contains("first byte 0x47");
        assertThat(notTls(new byte[] {0x16})).isNull(); // a prefix: need more
        assertThat(notTls(new byte[] {0x16, 2})).contains("record version 2.x");
        assertThat(notTls(new byte[] {0x16, 3, 9})).contains("record version 3.9");
        assertThat(notTls(new byte[] {0x16, 3, 1, 0, 0})).contains("record length 0");
        assertThat(notTls(new byte[] {0x16, 3, 1, 0x40, 1})).contains("record length 16385");
        assertThat(notTls(new byte[] {0x16, 3, 1, 0, 4, 2})).contains("type 2 is not ClientHello");
        assertThat(notTls(new byte[] {0x16, 3, 1, 0, 4, 1, 0, 0x40, 0})).contains("over the limit");
        // A handshake split over two records, the second one an alert.
        assertThat(notTls(new byte[] {0x16, 3, 1, 0, 2, 1, 0, 0x15, 3, 3, 0, 2})).contains("record of type 21");
    }

    @Test
    void refusesBrokenHellos() throws IOException {
        byte[] java = handshake(capture(JAVA));
        int sni = indexOf(java, "Java.B.Test".getBytes(StandardCharsets.US_ASCII));
        // The extension's length, the list's length, the entry's type and length come before the name.
        int entryLength = sni - 2;
        int listLength = sni - 5;
        int extLength = sni - 7;

        assertThat(notTlsHandshake(with(java, entryLength, 0, 200))).contains("server_name entry of 200 bytes");
        assertThat(notTlsHandshake(with(java, listLength, 0, 3))).contains("server_name list length");
        assertThat(notTlsHandshake(with(java, extLength, 0xFF, 0xFF))).contains("extension 0 of 65535 bytes");
        assertThat(notTlsHandshake(with(java, sni, 'j', '_'))).contains("not a DNS host name");
        assertThat(notTlsHandshake(with(java, sni + 10, '.'))).contains("not a DNS host name"); // Java.B.Tes.
        assertThat(notTlsHandshake(with(java, sni, '-'))).contains("not a DNS host name");
        assertThat(notTlsHandshake(with(java, 0, 1, 0, 0, 20))).contains("too short");
        assertThat(notTlsHandshake(with(java, 4, 2))).contains("version 2.x");
        assertThat(notTlsHandshake(with(java, 4 + 34, 33))).contains("session id length 33");

        int h2 = indexOf(java, new byte[] {2, 'h', '2', 8, 'h', 't'}) + 1;
        assertThat(notTlsHandshake(with(java, h2 - 1, 0))).contains("ALPN protocol length 0");
        assertThat(notTlsHandshake(with(java, h2 - 1, 40))).contains("ALPN protocol length 40");
        assertThat(notTlsHandshake(with(java, h2 - 3, 0, 1))).contains("ALPN list length");
    }

    @Test
    void refusesAnIpLiteralAndTwoHostNames() {
        assertThat(notTlsHandshake(minimalHello(serverNameExt(hostEntry("127.0.0.1")))))
                .contains("not a DNS host name");
        byte[] two = serverNameExt(hostEntry("a.test"), hostEntry("b.test"));
        assertThat(notTlsHandshake(minimalHello(two))).contains("two host names");
        byte[] twice = concat(serverNameExt(hostEntry("a.test")), serverNameExt(hostEntry("a.test")));
        assertThat(notTlsHandshake(minimalHello(twice))).contains("two server_name extensions");
        // An entry of another name type is skipped.
        byte[] other = concat(new byte[] {5, 0, 1, 'x'}, hostEntry("C.test"));
        byte[] ext = concat(new byte[] {0, 0, 0, (byte) (other.length + 2), 0, (byte) other.length}, other);
        byte[] h = records(minimalHello(ext), 16384);
        ClientHelloParser.Result r = ClientHelloParser.parse(h, 0, h.length);
        assertThat(r).isInstanceOf(ClientHelloParser.Hello.class);
        assertThat(((ClientHelloParser.Hello) r).serverName()).isEqualTo("c.test");
        // No extensions at all.
        byte[] bare = records(minimalHello(null), 16384);
        assertThat(ClientHelloParser.parse(bare, 0, bare.length))
                .isEqualTo(new ClientHelloParser.Hello(null, List.of(), 1, bare.length));
    }

    @Test
    void checksHostNames() {
        assertThat(ClientHelloParser.validHostName("a.test")).isTrue();
        assertThat(ClientHelloParser.validHostName("localhost")).isTrue();
        assertThat(ClientHelloParser.validHostName("xn--bcher-kva.example")).isTrue();
        assertThat(ClientHelloParser.validHostName("a1-b.c2")).isTrue();
        assertThat(ClientHelloParser.validHostName("a".repeat(63) + ".test")).isTrue();
        assertThat(ClientHelloParser.validHostName("a".repeat(64) + ".test")).isFalse();
        assertThat(ClientHelloParser.validHostName("")).isFalse();
        assertThat(ClientHelloParser.validHostName("a.test.")).isFalse();
        assertThat(ClientHelloParser.validHostName(".a.test")).isFalse();
        assertThat(ClientHelloParser.validHostName("a..test")).isFalse();
        assertThat(ClientHelloParser.validHostName("-a.test")).isFalse();
        assertThat(ClientHelloParser.validHostName("a-.test")).isFalse();
        assertThat(ClientHelloParser.validHostName("*.a.test")).isFalse();
        assertThat(ClientHelloParser.validHostName("10.0.0.1")).isFalse();
        assertThat(ClientHelloParser.validHostName("b\u00fccher.test")).isFalse();
        assertThat(ClientHelloParser.validHostName(("a".repeat(62) + ".").repeat(4) + "ab")).isFalse();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    static byte[] capture(String file) throws IOException {
        try (InputStream in = ClientHelloParserTest.class.getResourceAsStream(file)) {
            assertThat(in).as(file).isNotNull();
            return in.readAllBytes();
        }
    }

    /** The reason a parse of {@code bytes} refused them; null when it asked for more. */
    private static String notTls(byte[] bytes) {
        ClientHelloParser.Result r = ClientHelloParser.parse(bytes, 0, bytes.length);
        if (r == ClientHelloParser.NEED_MORE) {
            return null;
        }
        assertThat(r).isInstanceOf(ClientHelloParser.NotTls.class);
        return ((ClientHelloParser.NotTls) r).reason();
    }

    private static String notTlsHandshake(byte[] handshake) {
        String single = notTls(records(handshake, 16384));
        assertThat(notTls(records(handshake, 100))).as("split over records").isEqualTo(single);
        return single;
    }

    /** The handshake message of a capture made of one record. */
    static byte[] handshake(byte[] capture) {
        int length = ((capture[3] & 0xFF) << 8) | (capture[4] & 0xFF);
        return Arrays.copyOfRange(capture, 5, 5 + length);
    }

    /** {@code handshake} in handshake records of at most {@code size} bytes. */
    static byte[] records(byte[] handshake, int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < handshake.length; i += size) {
            int n = Math.min(size, handshake.length - i);
            out.write(new byte[] {0x16, 3, 1, (byte) (n >> 8), (byte) n}, 0, 5);
            out.write(handshake, i, n);
        }
        return out.toByteArray();
    }

    /** A copy of {@code bytes} with {@code values} written from {@code at}. */
    private static byte[] with(byte[] bytes, int at, int... values) {
        byte[] copy = bytes.clone();
        for (int i = 0; i < values.length; i++) {
            copy[at + i] = (byte) values[i];
        }
        return copy;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (haystack[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    private static byte[] hostEntry(String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        return concat(new byte[] {0, (byte) (n.length >> 8), (byte) n.length}, n);
    }

    private static byte[] serverNameExt(byte[]... entries) {
        byte[] list = concat(entries);
        return concat(new byte[] {0, 0, (byte) ((list.length + 2) >> 8), (byte) (list.length + 2),
                (byte) (list.length >> 8), (byte) list.length}, list);
    }

    /** A ClientHello handshake message with one suite, null compression and the given extensions (or none). */
    static byte[] minimalHello(byte[] extensions) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {3, 3});
        body.writeBytes(new byte[32]);
        body.writeBytes(new byte[] {0, 0, 2, 0x13, 0x01, 1, 0});
        if (extensions != null) {
            body.writeBytes(new byte[] {(byte) (extensions.length >> 8), (byte) extensions.length});
            body.writeBytes(extensions);
        }
        byte[] b = body.toByteArray();
        return concat(new byte[] {1, 0, (byte) (b.length >> 8), (byte) b.length}, b);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
