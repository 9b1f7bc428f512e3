package dev.portico.web.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portico.testing.fuzz.ShallowStack;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz target for the HTTP/1 request path as a listener builds it: {@link StrictRequestDecoder}
 * and {@link HttpConnection} in an embedded channel, with a handler that answers, reads bodies
 * whole, or answers before the body has arrived.
 *
 * <p>Oracles, for any bytes sent in pieces: no exception reaches the end of the pipeline or the
 * connection's own error handler, and no handler fails (500); what goes back is a sequence of
 * well-framed responses with the statuses bad input gets (400, 413, 414, 431, 505) or 200, and
 * nothing after one that says {@code Connection: close}; the connection count returns to zero;
 * after the run, a fresh connection still gets 200, and paranoid leak detection reports no buffer.
 *
 * <p>Run by the build for a few seconds with {@code JAZZER_FUZZ=1} (the parent pom's {@code fuzz}
 * execution) and for a million inputs by {@code bench/fuzz.sh}.
 */
class HttpRequestFuzz {

    /** Inputs run on a thread of their own, for short leak-detector stack traces. */
    private static final ShallowStack SHALLOW = new ShallowStack();

    private static final List<Integer> EXPECTED = List.of(100, 200, 400, 413, 414, 431, 505);

    private static final Logger leakLogger = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
    private static final Logger connectionLogger = (Logger) LoggerFactory.getLogger(HttpConnection.class);
    private static final ListAppender<ILoggingEvent> leaks = new ListAppender<>();
    private static final ListAppender<ILoggingEvent> connectionLog = new ListAppender<>();
    private static Level connectionLevel;

    private static final AtomicInteger connections = new AtomicInteger();
    private static final HttpContext context = new HttpContext(
            new HttpOptions(256, 1024, 20, 4096, 10_000, Duration.ofSeconds(10), Duration.ofSeconds(75), Duration.ofSeconds(60)),
            HttpRequestFuzz::handle, ErrorPages.defaults(), new HttpDates(Clock.systemUTC()), connections, ex -> { },
            null, "GET, HEAD");

    @BeforeAll
    static void watchLogs() {
        leaks.start();
        leakLogger.addAppender(leaks);
        // The connection logs bad requests at DEBUG, and an exception that reached it too: the
        // second is a finding. Its lines are kept out of the console while the fuzzer runs.
        connectionLevel = connectionLogger.getLevel();
        connectionLog.start();
        connectionLogger.addAppender(connectionLog);
        connectionLogger.setLevel(Level.DEBUG);
        connectionLogger.setAdditive(false);
    }

    @AfterAll
    static void stillAnswersAndNothingLeaked() throws Exception {
        try {
            SHALLOW.close();
            String answer = exchange("GET / HTTP/1.1\r\nHost: fuzz\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 1 << 20);
            assertThat(answer).as("a fresh connection after the run").startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nok");
            assertThat(connections.get()).as("open connections").isZero();
            // A leak is reported when a collected buffer is noticed on a later allocation.
            for (int i = 0; i < 3; i++) {
                System.gc();
                ByteBufAllocator.DEFAULT.buffer(8).release();
            }
            assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
            assertThat(leaks.list).as("leak reports").noneMatch(e -> e.getFormattedMessage().contains("LEAK"));
        } finally {
            leakLogger.detachAppender(leaks);
            connectionLogger.detachAppender(connectionLog);
            connectionLogger.setLevel(connectionLevel);
            connectionLogger.setAdditive(true);
        }
    }

    /** Answers at once; under /body reads the body whole first; under /early answers before the body. */
    private static boolean handle(Exchange ex) {
        if (ex.rawPath().startsWith("/body") && ex.hasBody()) {
            ex.receiveBody(new BodyAggregator(ex, 2048, body -> ex.respond(200, "text/plain", "got " + body.length)));
        } else {
            ex.respond(200, "text/plain", ex.rawPath().startsWith("/early") ? "early" : "ok");
        }
        return true;
    }

    static Stream<Arguments> seeds() {
        return Stream.of(
                "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET /x?y=1 HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\nHEAD / HTTP/1.1\r\nHost: b\r\n\r\n"
                        + "GET / HTTP/1.0\r\n\r\n",
                "POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
                "POST /body HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n"
                        + "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                "PUT /early HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n0123456789",
                "POST /body HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                "GET /" + "a".repeat(300) + " HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
                "POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n")
                .map(s -> Arguments.of((Object) s.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @DictionaryEntries({"GET ", "POST ", "HEAD ", "PUT ", " HTTP/1.1", " HTTP/1.0", "Host: ", "Content-Length: ",
        "Transfer-Encoding: ", "chunked", "Connection: ", "close", "keep-alive", "Expect: ", "100-continue", "/body",
        "/early", ";ext", "0;", "ffffffff"})
    @MethodSource("seeds")
    @FuzzTest(maxDuration = "5s")
    void answersEveryRequestWithAWellFramedResponse(byte[] data) throws Exception {
        SHALLOW.run(() -> check(data));
    }

    private static void check(byte[] data) {
        connectionLog.list.clear();
        int step = data.length == 0 ? 1 : (data[data.length - 1] & 0x3f) + 1;
        String out = exchange(data, step);
        for (ILoggingEvent e : connectionLog.list) {
            boolean expected = e.getLevel() == Level.DEBUG
                    && (e.getMessage().startsWith("bad request from") || e.getMessage().startsWith("bad Host from")
                    || e.getMessage().startsWith("bad body from"));
            require(expected, "the connection logged: " + e.getFormattedMessage());
        }
        require(connections.get() == 0, connections.get() + " connections still counted after close");
        checkResponses(out, containsHead(data));
    }

    /** Sends the bytes in pieces of {@code step} on a new connection, closes it, and returns what came back. */
    private static String exchange(byte[] data, int step) {
        HttpConnection conn = new HttpConnection(() -> context);
        EmbeddedChannel ch = new EmbeddedChannel(conn.firstByteWatcher(),
                new StrictRequestDecoder(context.options().maxRequestLine(), context.options().maxHeaderSize()), conn);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (int i = 0; i < data.length && ch.isOpen(); i += step) {
                ByteBuf piece = ch.alloc().buffer(step);
                piece.writeBytes(data, i, Math.min(step, data.length - i));
                ch.writeInbound(piece);
                drain(ch, out);
            }
            ch.close();
            drain(ch, out);
        } finally {
            ch.finishAndReleaseAll();
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private static void drain(EmbeddedChannel ch, ByteArrayOutputStream out) {
        Object msg;
        while ((msg = ch.readOutbound()) != null) {
            try {
                require(msg instanceof ByteBuf, "the connection wrote " + msg.getClass().getName());
                ByteBuf b = (ByteBuf) msg;
                byte[] bytes = new byte[b.readableBytes()];
                b.getBytes(b.readerIndex(), bytes);
                out.writeBytes(bytes);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    /**
     * Reads the responses back as a client would: status line, fields, Content-Length bytes of
     * body. With a HEAD request among the input the body lengths cannot be checked, only the heads.
     */
    private static void checkResponses(String out, boolean head) {
        int p = 0;
        while (p < out.length()) {
            int end = out.indexOf("\r\n\r\n", p);
            require(end > 0, "a response head without its end: " + cut(out, p));
            String[] lines = out.substring(p, end).split("\r\n", -1);
            String status = lines[0];
            require(status.length() >= 13 && (status.startsWith("HTTP/1.1 ") || status.startsWith("HTTP/1.0 "))
                    && status.charAt(12) == ' ', "a bad status line: " + cut(status, 0));
            int code = Integer.parseInt(status.substring(9, 12));
            require(EXPECTED.contains(code), "status " + code + " for fuzzed input: " + cut(out, p));
            long length = -1;
            boolean close = false;
            for (int i = 1; i < lines.length; i++) {
                String line = lines[i];
                int colon = line.indexOf(':');
                require(colon > 0, "a response line without a name: " + cut(line, 0));
                String name = line.substring(0, colon);
                String value = line.substring(colon + 1).strip();
                if (name.equalsIgnoreCase("Content-Length")) {
                    length = Long.parseLong(value);
                } else if (name.equalsIgnoreCase("Connection") && value.equalsIgnoreCase("close")) {
                    close = true;
                }
            }
            p = end + 4;
            if (code == 100) {
                continue;
            }
            require(length >= 0, "a response without Content-Length: " + cut(status, 0));
            if (head) {
                // The body may or may not follow: find the next status line, if any.
                int next = out.indexOf("HTTP/1.", p);
                p = next < 0 ? out.length() : next;
            } else {
                p += (int) length;
                require(p <= out.length(), "a body shorter than its Content-Length");
            }
            if (close) {
                require(p == out.length(), "bytes after a response that closed the connection");
            }
        }
    }

    private static boolean containsHead(byte[] data) {
        for (int i = 0; i + 4 <= data.length; i++) {
            if (data[i] == 'H' && data[i + 1] == 'E' && data[i + 2] == 'A' && data[i + 3] == 'D') {
                return true;
            }
        }
        return false;
    }

    private static String cut(String s, int from) {
        return s.substring(from, Math.min(s.length(), from + 200));
    }

    /** A plain check: the oracles run for every input, where AssertJ would cost more than the parser. */
    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
