package dev.portico.proxy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portico.testing.fuzz.ShallowStack;
import dev.portico.proxy.UpstreamResponseDecoder.Failure;
import dev.portico.proxy.UpstreamResponseDecoder.Last;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz target for the proxy's {@link UpstreamResponseDecoder}: any bytes a backend sends.
 *
 * <p>Oracles, for any bytes: nothing but heads, body pieces, {@link Last} and {@link Failure}
 * comes out, in that grammar (a body only after a head that has one, nothing after a failure, a
 * Content-Length body never longer than its length and ended exactly at it); no exception
 * escapes; the same bytes give the same transcript whole and cut into pieces; every head the
 * decoder accepts can be relayed (its fields re-rendered hold no stray CR or LF) and turned into a
 * Netty response for the cache; and no buffer leaks (paranoid leak detection, checked after the
 * run).
 *
 * <p>Run by the build for a few seconds with {@code JAZZER_FUZZ=1} (the parent pom's {@code fuzz}
 * execution) and for a million inputs by {@code bench/fuzz.sh}.
 */
class UpstreamResponseFuzz {

    /** Inputs run on a thread of their own, for short leak-detector stack traces. */
    private static final ShallowStack SHALLOW = new ShallowStack();

    private static final int MAX_HEAD = 1024;

    private static final Logger leakLogger = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
    private static final ListAppender<ILoggingEvent> leaks = new ListAppender<>();

    @BeforeAll
    static void watchLeaks() {
        leaks.start();
        leakLogger.addAppender(leaks);
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
            assertThat(leaks.list).as("leak reports").noneMatch(e -> e.getFormattedMessage().contains("LEAK"));
        } finally {
            leakLogger.detachAppender(leaks);
        }
    }

    static Stream<Arguments> seeds() {
        return Stream.of(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nETag:  \"x\"  \r\n\r\nhello",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5;name=value\r\nhello\r\n6\r\n world\r\n"
                        + "0\r\nX-Trailer: t\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\nContent-Length: 2\n\nok",
                "HTTP/1.0 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nVia: 1.1 a\r\nContent-Length: 0\r\n\r\n",
                "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\n\r\nuntil close",
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u0081\u0005hello",
                "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nx")
                .map(s -> Arguments.of((Object) s.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @DictionaryEntries({"HTTP/1.1 ", "HTTP/1.0 ", "200 OK", "Content-Length: ", "Transfer-Encoding: ", "chunked",
        "Connection: ", "close", "keep-alive", "Via: ", ";ext=1", "0;", "ffffffffffffffff"})
    @MethodSource("seeds")
    @FuzzTest(maxDuration = "5s")
    void decodesOrFailsTheSameWayInAnyPieces(byte[] data) throws Exception {
        SHALLOW.run(() -> check(data));
    }

    private static void check(byte[] data) {
        boolean noBody = data.length % 7 == 0;
        int step = data.length == 0 ? 1 : (data[data.length - 1] & 0x3f) + 1;
        String whole = transcript(data, data.length + 1, noBody);
        String pieces = transcript(data, step, noBody);
        if (!whole.equals(pieces)) {
            throw new AssertionError("whole and in pieces of " + step + " differ:\n" + whole + "\n---\n" + pieces);
        }
    }

    /** Decodes the bytes written in pieces of {@code step}, checking the grammar; returns what came out. */
    private static String transcript(byte[] data, int step, boolean noBody) {
        UpstreamResponseDecoder decoder = new UpstreamResponseDecoder(MAX_HEAD);
        decoder.expectNoBody(noBody);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        Grammar g = new Grammar(noBody);
        try {
            for (int i = 0; i < data.length; i += step) {
                ByteBuf piece = ch.alloc().buffer(step);
                piece.writeBytes(data, i, Math.min(step, data.length - i));
                ch.writeInbound(piece);
                g.drain(ch);
            }
            ch.finish();
            g.drain(ch);
            g.flushBody();
            return g.out.toString();
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** Follows the decoder's output and fails on anything out of order. */
    private static final class Grammar {
        final StringBuilder out = new StringBuilder();
        /** Body bytes since the last head, written to the transcript whole so that any cut compares equal. */
        final StringBuilder body = new StringBuilder();
        final boolean noBody;
        UpstreamHead head;
        boolean inBody;
        boolean failed;
        boolean upgraded;
        long bodyBytes;

        Grammar(boolean noBody) {
            this.noBody = noBody;
        }

        void drain(EmbeddedChannel ch) {
            Object msg;
            while ((msg = ch.readInbound()) != null) {
                try {
                    accept(msg);
                } finally {
                    ReferenceCountUtil.release(msg);
                }
            }
        }

        private void accept(Object msg) {
            require(!failed, "output after a failure: " + msg);
            switch (msg) {
                case Failure f -> {
                    require(f.reason() != null && !f.reason().isBlank(), "a failure without a reason");
                    failed = true;
                    flushBody();
                    out.append("F ").append(f.reason()).append('\n');
                }
                case UpstreamHead h -> {
                    require(!inBody && !upgraded, "a head inside a body");
                    head(h);
                }
                case Last last -> {
                    require(inBody, "a Last without a head");
                    body(last.content());
                    if (head.contentLength() >= 0 && !head.chunked()) {
                        require(bodyBytes == head.contentLength() || bodyless(head),
                                "a body of " + bodyBytes + " bytes for Content-Length " + head.contentLength());
                    }
                    inBody = false;
                    flushBody();
                    out.append("L\n");
                }
                case ByteBuf b -> {
                    require(inBody || upgraded, "body bytes outside a body");
                    body(b);
                }
                default -> throw new AssertionError("unexpected output " + msg);
            }
        }

        private void head(UpstreamHead h) {
            require(h.status() >= 100 && h.status() <= 999, "status " + h.status());
            flushBody();
            require(!(h.chunked() && h.contentLength() >= 0), "chunked with a Content-Length");
            out.append("H ").append(h.status()).append(' ').append(h.contentLength()).append(' ')
                    .append(h.chunked()).append(' ').append(h.keepAlive()).append(' ').append(h.size()).append('\n');
            for (int i = 0; i < h.size(); i++) {
                String name = h.name(i);
                require(!name.isEmpty() && h.value(i).indexOf('\r') < 0 && h.value(i).indexOf('\n') < 0,
                        "field " + i + " '" + name + "'");
            }
            ByteBuf relayed = Unpooled.buffer(h.estimatedLength());
            try {
                h.writeTo(relayed);
                String text = relayed.toString(StandardCharsets.ISO_8859_1);
                for (String line : text.split("\r\n", -1)) {
                    require(line.indexOf('\r') < 0 && line.indexOf('\n') < 0, "a stray line end in the relayed head");
                    require(line.isEmpty() || line.indexOf(':') > 0, "a relayed line without a name: " + line);
                }
            } finally {
                relayed.release();
            }
            require(h.toHttpResponse().status().code() == h.status(), "the cache's copy has another status");
            head = h;
            bodyBytes = 0;
            if (h.status() == 101) {
                upgraded = true;
            } else if (h.status() >= 200) {
                inBody = true;
            }
        }

        private void body(ByteBuf b) {
            bodyBytes += b.readableBytes();
            if (head != null && head.contentLength() >= 0 && !head.chunked() && !bodyless(head)) {
                require(bodyBytes <= head.contentLength(), "more body than Content-Length " + head.contentLength());
            }
            body.append(b.toString(StandardCharsets.ISO_8859_1));
        }

        void flushBody() {
            if (!body.isEmpty()) {
                out.append("B ").append(body.toString().replace("\n", "\\n")).append('\n');
                body.setLength(0);
            }
        }

        /** A head whose response has no body whatever its Content-Length (HEAD, 1xx, 204, 304). */
        private boolean bodyless(UpstreamHead h) {
            return noBody || h.status() < 200 || h.status() == 204 || h.status() == 304;
        }
    }

    /** A plain check: the oracles run for every input, where AssertJ would cost more than the decoder. */
    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
