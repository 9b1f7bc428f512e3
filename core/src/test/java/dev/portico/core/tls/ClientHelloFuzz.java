package dev.portico.core.tls;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.params.provider.Arguments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Fuzz target for {@link ClientHelloParser}, seeded with real hellos (openssl, the JDK) and the
 * same hellos spread over several records.
 *
 * <p>Oracles, for any bytes: the parser answers "need more", "not TLS" with a reason, or a hello,
 * and never throws; a {@code byte[]}, a {@link ByteBuffer} and a {@link ByteBuf} cut in two at any
 * point give the same answer, and none of them is moved; every prefix agrees with the whole (a
 * prefix refused means the whole is refused for the same reason, a hello read from a prefix is
 * the hello of the whole, and every prefix of a hello's own bytes needs more); "need more" only
 * below {@link ClientHelloParser#MAX_BYTES}; a hello's length lies within the input and the cap,
 * and its server name is a lower-case DNS host name.
 *
 * <p>Run by the build for a few seconds with {@code JAZZER_FUZZ=1} (the parent pom's {@code fuzz}
 * execution) and for a million inputs by {@code bench/fuzz.sh}.
 */
class ClientHelloFuzz {

    static Stream<Arguments> seeds() {
        try {
            byte[] java = ClientHelloParserTest.capture("java-sni-alpn.bin");
            return Stream.of(
                            ClientHelloParserTest.capture("openssl-tls13-sni-alpn.bin"),
                            ClientHelloParserTest.capture("openssl-nosni.bin"),
                            ClientHelloParserTest.capture("openssl-tls12.bin"),
                            ClientHelloParserTest.capture("openssl-split.bin"),
                            java,
                            ClientHelloParserTest.records(ClientHelloParserTest.handshake(java), 100),
                            ClientHelloParserTest.records(ClientHelloParserTest.minimalHello(null), 16384))
                    .map(b -> Arguments.of((Object) b));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DictionaryEntries({"http/1.1", "h2", "acme-tls/1", "localhost", ".test", "xn--"})
    @org.junit.jupiter.params.provider.MethodSource("seeds")
    @FuzzTest(maxDuration = "5s")
    void parsesOrRefusesAndEveryViewAgrees(byte[] data) {
        ClientHelloParser.Result whole = ClientHelloParser.parse(data, 0, data.length);
        require(whole != null, "an answer");
        checkViews(data, whole);
        if (whole == ClientHelloParser.NEED_MORE) {
            require(data.length < ClientHelloParser.MAX_BYTES, "need more only below the cap");
        } else if (whole instanceof ClientHelloParser.NotTls bad) {
            require(bad.reason() != null && !bad.reason().isEmpty(), "a reason");
        } else {
            ClientHelloParser.Hello h = (ClientHelloParser.Hello) whole;
            require(h.length() > 0 && h.length() <= data.length && h.length() <= ClientHelloParser.MAX_BYTES,
                    "length within the input and the cap");
            require(h.records() >= 1 && h.records() <= ClientHelloParser.MAX_RECORDS, "records within the cap");
            require(h.alpn() != null, "an ALPN list");
            if (h.serverName() != null) {
                require(ClientHelloParser.validHostName(h.serverName()), "a DNS host name");
                require(h.serverName().equals(h.serverName().toLowerCase(Locale.ROOT)), "lower case");
            }
            ClientHelloParser.Result exact = ClientHelloParser.parse(data, 0, h.length());
            require(exact.equals(h), "the hello's own bytes read the same");
        }
        int step = Math.max(1, data.length / 64);
        for (int k = 0; k < data.length; k += step) {
            ClientHelloParser.Result prefix = ClientHelloParser.parse(data, 0, k);
            if (prefix instanceof ClientHelloParser.NotTls) {
                require(prefix.equals(whole), "a refused prefix means the whole is refused alike");
            } else if (prefix instanceof ClientHelloParser.Hello) {
                require(prefix.equals(whole), "a hello read from a prefix is the whole's");
            } else if (whole instanceof ClientHelloParser.Hello h) {
                require(k < h.length(), "need more only before the hello's end");
            }
            if (whole instanceof ClientHelloParser.Hello h && k < h.length()) {
                require(prefix == ClientHelloParser.NEED_MORE, "every prefix of a hello needs more");
            }
        }
    }

    private static void checkViews(byte[] data, ClientHelloParser.Result whole) {
        ByteBuffer nio = ByteBuffer.wrap(data);
        require(ClientHelloParser.parse(nio).equals(whole), "a ByteBuffer reads the same");
        require(nio.position() == 0, "the ByteBuffer is not moved");
        int cut = data.length == 0 ? 0 : (data[0] & 0xFF) % (data.length + 1);
        CompositeByteBuf two = Unpooled.compositeBuffer();
        two.addComponent(true, Unpooled.wrappedBuffer(data, 0, cut));
        two.addComponent(true, Unpooled.wrappedBuffer(data, cut, data.length - cut));
        try {
            require(ClientHelloParser.parse(two).equals(whole), "a ByteBuf in two pieces reads the same");
            require(two.readerIndex() == 0 && two.writerIndex() == data.length, "the ByteBuf is not moved");
        } finally {
            two.release();
        }
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
