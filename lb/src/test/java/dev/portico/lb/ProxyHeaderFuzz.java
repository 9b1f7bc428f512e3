package dev.portico.lb;

import dev.portico.testing.LogCapture;
import ch.qos.logback.classic.Level;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portico.testing.fuzz.ShallowStack;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.Arguments;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz target for the PROXY protocol header, v1 and v2: the pure {@link ProxyHeaderParser} and
 * the {@link ProxyHeaderDecoder} handler in front of a trusted proxy's connections.
 *
 * <p>Oracles, for any bytes: the parser answers "need more", a result or
 * {@link ProxyHeaderParser.MalformedException}, nothing else; every prefix agrees with the whole
 * (a prefix refused means the whole is refused, a prefix accepted means the same result); it never
 * waits for more than a header can hold; a result encodes back to the same addresses in both
 * versions; the decoder, fed the bytes in pieces, fires the parser's result with exactly the bytes
 * after the header, or closes the connection, and leaks no buffer (paranoid leak detection, checked
 * after the run).
 *
 * <p>Run by the build for a few seconds with {@code JAZZER_FUZZ=1} (the parent pom's {@code fuzz}
 * execution) and for a million inputs by {@code bench/fuzz.sh}.
 */
class ProxyHeaderFuzz {

    /** Inputs run on a thread of their own, for short leak-detector stack traces. */
    private static final ShallowStack SHALLOW = new ShallowStack();

    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    /** Prefixes checked one by one; beyond this every 97th, since a v1 line is at most 107 bytes. */
    private static final int ALL_PREFIXES = 128;

    private static LogCapture leaks;
    private static LogCapture decoderLog;
    private static final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private static final LbMetrics metrics = new LbMetrics("fuzz", meters);

    @BeforeAll
    static void watchLogs() {
        leaks = new LogCapture(ResourceLeakDetector.class.getName(), Level.ERROR);
        decoderLog = new LogCapture(ProxyHeaderDecoder.class.getName(), Level.INFO);
    }

    @AfterAll
    static void nothingLeaked() {
        try {
            SHALLOW.close();
            // A leak is reported when a collected buffer is noticed on a later allocation.
            for (int i = 0; i < 3; i++) {
                System.gc();
                ByteBufAllocator.DEFAULT.buffer(8).release();
            }
            assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
            assertThat(leaks.messages(Level.ERROR)).as("leak reports").noneMatch(m -> m.contains("LEAK"));
            assertThat(decoderLog.messages(Level.INFO)).as("decoder log lines at INFO or above").isEmpty();
        } finally {
            leaks.close();
            decoderLog.close();
        }
    }

    static Stream<Arguments> seeds() {
        return Stream.of(
                ascii("PROXY TCP4 192.0.2.1 192.0.2.2 1234 80\r\nGET / HTTP/1.1\r\n\r\n"),
                ascii("PROXY TCP6 2001:db8::1 2001:db8::2 65535 443\r\n"),
                ascii("PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n"),
                ascii("PROXY UNKNOWN\r\n"),
                ascii("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\nrest"),
                v2(0x21, 0x11, new byte[] {(byte) 192, 0, 2, 1, (byte) 192, 0, 2, 2, 4, (byte) 0xd2, 0, 80}, "hello"),
                v2(0x21, 0x21, concat(new byte[16], new byte[16], new byte[] {0, 1, 0, 2}), ""),
                v2(0x20, 0x00, new byte[0], "after local"),
                v2(0x21, 0x11, concat(new byte[12], new byte[] {0x03, 0, 4, 'a', 'b', 'c', 'd'}), "tlv"),
                v2(0x21, 0x31, new byte[216], "unix"))
                .map(b -> Arguments.of((Object) b));
    }

    // Printable entries only: Jazzer writes them to libFuzzer's dictionary file unescaped. The v2
    // signature and the line ends come from the seeds and from comparisons the fuzzer watches.
    @DictionaryEntries({"PROXY ", "TCP4 ", "TCP6 ", "UNKNOWN", "::ffff:", "255.255.255.255", "65535", "QUIT", "::"})
    @org.junit.jupiter.params.provider.MethodSource("seeds")
    @FuzzTest(maxDuration = "5s")
    void parsesOrRefusesAndTheDecoderAgrees(byte[] data) throws Exception {
        SHALLOW.run(() -> check(data));
    }

    private static void check(byte[] data) throws Exception {
        Outcome whole = parse(data, data.length);
        checkOutcome(data, whole);
        for (int k = 0; k < data.length; k = k < ALL_PREFIXES ? k + 1 : k + 97) {
            checkPrefix(k, parse(data, k), whole);
        }
        checkDecoder(data, whole);
    }

    private enum Kind { NEED_MORE, RESULT, MALFORMED }

    private record Outcome(Kind kind, ProxyHeaderParser.Result result, int consumed) {
    }

    private static Outcome parse(byte[] data, int length) throws Exception {
        ByteBuf in = Unpooled.wrappedBuffer(data, 0, length);
        try {
            ProxyHeaderParser.Result r = ProxyHeaderParser.parse(in);
            if (r == null) {
                require(in.readerIndex() == 0, "consumed while asking for more");
                return new Outcome(Kind.NEED_MORE, null, 0);
            }
            return new Outcome(Kind.RESULT, r, in.readerIndex());
        } catch (ProxyHeaderParser.MalformedException e) {
            require(e.getMessage() != null && !e.getMessage().isBlank(), "a refusal without a reason");
            return new Outcome(Kind.MALFORMED, null, 0);
        }
    }

    private static void checkOutcome(byte[] data, Outcome whole) throws Exception {
        switch (whole.kind()) {
            case NEED_MORE -> {
                int most = data.length > 0 && data[0] == 'P' ? ProxyHeaderParser.MAX_V1
                        : 16 + ProxyHeaderParser.MAX_V2_PAYLOAD;
                require(data.length < most, "waits for more after " + data.length + " bytes");
            }
            case RESULT -> {
                ProxyHeaderParser.Result r = whole.result();
                require(r.version() == 1 || r.version() == 2, "version " + r.version());
                require((r.source() == null) == (r.destination() == null), "source and destination come together");
                require(whole.consumed() > 0 && whole.consumed() <= data.length, "consumed " + whole.consumed());
                if (r.source() != null) {
                    roundTrip(ProxyProtocol.V1, r);
                    roundTrip(ProxyProtocol.V2, r);
                }
            }
            case MALFORMED -> { }
        }
    }

    /** Encodes the addresses of a result in {@code version} and reads them back: they must not change. */
    private static void roundTrip(ProxyProtocol version, ProxyHeaderParser.Result r) throws Exception {
        ByteBuf encoded = ProxyHeader.encode(version, r.source(), r.destination(), UnpooledByteBufAllocator.DEFAULT);
        try {
            ProxyHeaderParser.Result back = ProxyHeaderParser.parse(encoded);
            require(back != null && !encoded.isReadable(), version + " header of " + r + " not read back whole");
            require(r.source().equals(back.source()) && r.destination().equals(back.destination()),
                    version + " round trip of " + r + " gave " + back);
        } finally {
            encoded.release();
        }
    }

    private static void checkPrefix(int k, Outcome prefix, Outcome whole) {
        switch (prefix.kind()) {
            case MALFORMED -> require(whole.kind() == Kind.MALFORMED, "the first " + k + " bytes were refused, the whole gave " + whole);
            case RESULT -> require(whole.equals(prefix), "the first " + k + " bytes gave " + prefix + ", the whole " + whole);
            case NEED_MORE -> require(whole.kind() != Kind.RESULT || whole.consumed() > k,
                    "the first " + k + " bytes hold the whole header but more was asked for");
        }
    }

    /** Feeds the decoder the bytes in pieces whose sizes come from the bytes themselves. */
    private static void checkDecoder(byte[] data, Outcome whole) {
        List<Object> seen = new ArrayList<>();
        ByteArrayOutputStream after = new ByteArrayOutputStream();
        EmbeddedChannel ch = new EmbeddedChannel(new ProxyHeaderDecoder("fuzz", metrics, Duration.ofSeconds(30)),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt instanceof ProxyHeaderDecoder.Proxied p) {
                            seen.add(p.header());
                            if (p.rest() != null) {
                                after.writeBytes(bytes(p.rest()));
                                p.rest().release();
                            }
                        }
                    }

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf b = (ByteBuf) msg;
                        after.writeBytes(bytes(b));
                        b.release();
                    }
                });
        try {
            int step = data.length == 0 ? 1 : (data[data.length - 1] & 0x3f) + 1;
            for (int i = 0; i < data.length && ch.isOpen(); i += step) {
                ByteBuf piece = ch.alloc().buffer(step);
                piece.writeBytes(data, i, Math.min(step, data.length - i));
                ch.writeInbound(piece);
            }
            switch (whole.kind()) {
                case RESULT -> {
                    require(seen.equals(List.of(whole.result())), "the decoder fired " + seen + ", not " + whole);
                    require(Arrays.equals(after.toByteArray(), Arrays.copyOfRange(data, whole.consumed(), data.length)),
                            "the bytes after the header changed on their way through the decoder");
                }
                case MALFORMED -> require(seen.isEmpty() && !ch.isOpen(), "a malformed header left the connection open");
                case NEED_MORE -> require(seen.isEmpty() && ch.isOpen(), "an incomplete header closed the connection");
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** A plain check: the oracles run for every input, where AssertJ would cost more than the parser. */
    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), out);
        return out;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] v2(int verCmd, int family, byte[] payload, String rest) {
        return concat(V2_SIGNATURE, new byte[] {(byte) verCmd, (byte) family, (byte) (payload.length >> 8),
            (byte) payload.length}, payload, ascii(rest));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
