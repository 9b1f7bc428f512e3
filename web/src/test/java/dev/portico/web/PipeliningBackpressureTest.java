package dev.portico.web;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.HttpOptions;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A client that pipelines thousands of requests and reads nothing must not make the server hold
 * thousands of answers: the server stops reading while its answers have not gone out.
 */
@Timeout(120)
class PipeliningBackpressureTest {

    private static final int FILES = 4;
    private static final int REQUESTS = 2000;
    /** Pending outbound bytes allowed on the connection: the high-water mark plus one answer, with room. */
    private static final long BOUND = 1 << 20;

    @TempDir
    Path root;
    WebHarness web;
    final byte[][] bodies = new byte[FILES][];
    final AtomicReference<Channel> serverSide = new AtomicReference<>();
    final AtomicLong maxPending = new AtomicLong();

    final ListAppender<ILoggingEvent> leaks = new ListAppender<>();

    @BeforeEach
    void setUp() throws Exception {
        web = new WebHarness();
        leaks.start();
        ((Logger) LoggerFactory.getLogger(ResourceLeakDetector.class)).addAppender(leaks);
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
        ((Logger) LoggerFactory.getLogger(ResourceLeakDetector.class)).detachAppender(leaks);
    }

    private void files(int size) throws IOException {
        for (int f = 0; f < FILES; f++) {
            // random bytes, so that gzip cannot make the answers small
            byte[] b = new byte[size];
            new java.util.Random(f).nextBytes(b);
            bodies[f] = b;
            Files.write(root.resolve("f" + f + ".bin"), b);
        }
    }

    /**
     * Starts the server with a first handler that finds the server side of the test's connection
     * and puts a probe at the head of its pipeline, which records the most bytes ever waiting in
     * the channel's outbound buffer.
     */
    private void start(WebConfig.Builder config) throws Exception {
        web.start(config.listen("127.0.0.1:0").build(), List.of((Exchange ex) -> {
            Channel ch = ex.context().channel();
            if (serverSide.compareAndSet(null, ch)) {
                ch.pipeline().addFirst("probe", new ChannelOutboundHandlerAdapter() {
                    @Override
                    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
                        super.write(ctx, msg, promise);
                        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
                        if (out != null) {
                            maxPending.accumulateAndGet(out.totalPendingWriteBytes(), Math::max);
                        }
                    }
                });
            }
            return false;
        }));
    }

    @Test
    void cachedFilesPipelinedWithoutReadingStayBounded() throws Exception {
        files(60 * 1024);
        start(WebConfig.builder().root(root));
        pipelineThenRead("");
    }

    @Test
    void zeroCopyFilesPipelinedWithoutReadingStayBounded() throws Exception {
        files(60 * 1024);
        start(WebConfig.builder().root(root).cacheMaxFileSize(1024));
        pipelineThenRead("");
    }

    @Test
    void gzipStreamsPipelinedWithoutReadingStayBounded() throws Exception {
        files(60 * 1024);
        start(WebConfig.builder().root(root).cacheMaxFileSize(1024)
                .gzip(new WebConfig.Gzip(true, List.of("bin"), 1, 100L << 20, 1, root.resolve("gz-cache"))));
        pipelineThenRead("Accept-Encoding: gzip\r\n");
    }

    @Test
    void aClientThatNeverReadsIsClosedByTheSendTimeout() throws Exception {
        files(60 * 1024);
        start(WebConfig.builder().root(root).http(new HttpOptions(8192, 16384, 100, 1000, 100,
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(10), HttpOptions.DEFAULT_MAX_PIPELINED,
                Duration.ofMillis(500))));
        try (Socket s = smallWindowSocket()) {
            OutputStream out = s.getOutputStream();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < REQUESTS; i++) {
                        out.write(request(i, ""));
                    }
                    out.flush();
                } catch (IOException e) {
                    // the server closed while requests were still going out: what this test wants
                }
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> web.server.openConnections() == 0);
            writer.get();
        }
        assertThat(maxPending.get()).isLessThan(BOUND);
        // What the closed connection held is released: buffers it leaked would be reported by
        // Netty's (paranoid) leak detector once collected, on the next allocations.
        System.gc();
        for (int i = 0; i < 20; i++) {
            assertThat(web.get("/f" + (i % FILES) + ".bin").statusCode()).isEqualTo(200);
        }
        assertThat(leaks.list).extracting(ILoggingEvent::getFormattedMessage).noneMatch(m -> m.contains("LEAK"));
    }

    @Test
    void aSlowDownloadOutlivesTheIdleTimeout() throws Exception {
        byte[] large = new byte[16 << 20];
        for (int i = 0; i < large.length; i++) {
            large[i] = (byte) (i * 31 >>> 3);
        }
        Files.write(root.resolve("large.bin"), large);
        files(1024);
        start(WebConfig.builder().root(root).cacheMaxFileSize(1024).http(new HttpOptions(8192, 16384, 100, 1000, 100,
                Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(10))));
        try (Socket s = smallWindowSocket()) {
            s.getOutputStream().write("GET /large.bin HTTP/1.1\r\nHost: h\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            DataInputStream in = new DataInputStream(s.getInputStream());
            String status = line(in);
            assertThat(status).startsWith("HTTP/1.1 200");
            while (!line(in).isEmpty()) {
                // headers
            }
            byte[] got = new byte[large.length];
            int at = 0;
            while (at < got.length) {
                // a slow network: 64 KiB every 10 ms, longer in all than the idle timeout
                int n = in.read(got, at, Math.min(64 * 1024, got.length - at));
                if (n < 0) {
                    break;
                }
                at += n;
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
            }
            assertThat(at).as("bytes received before the server closed").isEqualTo(large.length);
            assertThat(got).isEqualTo(large);
        }
    }

    @Test
    void requestsDecodedAheadAreBounded() throws Exception {
        files(1024);
        AtomicReference<Exchange> slow = new AtomicReference<>();
        AtomicLong decoded = new AtomicLong();
        web.start(WebConfig.builder().root(root).listen("127.0.0.1:0").http(new HttpOptions(8192, 16384, 100, 1000, 100,
                Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(10), 4)).build(), List.of((Exchange ex) -> {
            if (!ex.rawPath().equals("/slow")) {
                return false;
            }
            // left unanswered until the test says; counts what the decoder hands on meanwhile
            ex.context().pipeline().addBefore("http", "count", new io.netty.channel.ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof io.netty.handler.codec.http.HttpRequest) {
                        decoded.incrementAndGet();
                    }
                    ctx.fireChannelRead(msg);
                }
            });
            slow.set(ex);
            return true;
        }));
        try (Socket s = web.socket()) {
            StringBuilder all = new StringBuilder("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
            for (int i = 0; i < 100; i++) {
                all.append(new String(request(i, ""), StandardCharsets.US_ASCII));
            }
            OutputStream out = s.getOutputStream();
            out.write(all.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Exchange ex = await().atMost(Duration.ofSeconds(10)).until(slow::get, e -> e != null);
            await().atMost(Duration.ofSeconds(10)).until(() -> decoded.get() >= 4);
            CompletableFuture<Long> seen = new CompletableFuture<>();
            ex.context().executor().execute(() -> {
                seen.complete(decoded.get());
                ex.respond(200, "text/plain", "slow");
            });
            assertThat(seen.get()).as("requests decoded while the first had no answer").isEqualTo(4);
            DataInputStream in = new DataInputStream(s.getInputStream());
            assertThat(new String(readBody(in), StandardCharsets.US_ASCII)).isEqualTo("slow");
            for (int i = 0; i < 100; i++) {
                assertThat(readBody(in)).as("answer " + i).isEqualTo(bodies[i % FILES]);
            }
        }
    }

    private Socket smallWindowSocket() throws IOException {
        Socket s = new Socket();
        // A fixed receive buffer keeps the kernel from taking megabytes of answers off the server.
        s.setReceiveBufferSize(64 * 1024);
        s.connect(new java.net.InetSocketAddress("127.0.0.1", web.port()), 5000);
        s.setSoTimeout(30_000);
        return s;
    }

    /**
     * Sends REQUESTS pipelined GETs from a separate thread (its writes may block once the server
     * stops reading), waits until the server has either answered everything or stopped reading,
     * then reads and checks every answer in order.
     */
    private void pipelineThenRead(String extraHeaders) throws Exception {
        try (Socket s = smallWindowSocket()) {
            // the first request opens the connection's probe before the flood starts
            OutputStream out = s.getOutputStream();
            out.write(request(0, extraHeaders));
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            assertThat(readBody(in)).isEqualTo(bodies[0]);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 1; i < REQUESTS; i++) {
                        out.write(request(i, extraHeaders));
                    }
                    out.flush();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Channel ch = await().atMost(Duration.ofSeconds(10)).until(serverSide::get, c -> c != null);
            // Either every request was answered into memory, or the server stopped reading.
            await().atMost(Duration.ofSeconds(60)).until(() -> answered() >= REQUESTS
                    || (!ch.config().isAutoRead() && !ch.isWritable()));
            // what went out sits in the kernel's buffers: a few megabytes at most, not every answer
            assertThat(answered()).as("requests answered while the client read nothing").isLessThan(REQUESTS / 2);
            assertThat(maxPending.get()).as("bytes waiting in the server's outbound buffer").isLessThan(BOUND);
            for (int i = 1; i < REQUESTS; i++) {
                byte[] body = readBody(in);
                assertThat(body).as("answer " + i).isEqualTo(bodies[i % FILES]);
            }
            writer.get();
            assertThat(maxPending.get()).as("bytes waiting in the server's outbound buffer").isLessThan(BOUND);
        }
    }

    private long answered() {
        var c = web.meters.find("portico_http_requests").tag("status", "2xx").counter();
        return c == null ? 0 : (long) c.count();
    }

    private static byte[] request(int i, String extraHeaders) {
        return ("GET /f" + (i % FILES) + ".bin HTTP/1.1\r\nHost: h\r\n" + extraHeaders + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads one response; a Content-Length body as is, a chunked one gunzipped. */
    private static byte[] readBody(DataInputStream in) throws IOException {
        String status = line(in);
        assertThat(status).startsWith("HTTP/1.1 200");
        long length = -1;
        boolean chunked = false;
        boolean gzip = false;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            String lower = h.toLowerCase();
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(h.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            } else if (lower.startsWith("content-encoding:") && lower.contains("gzip")) {
                gzip = true;
            }
        }
        byte[] body;
        if (chunked) {
            var all = new java.io.ByteArrayOutputStream();
            for (int n = Integer.parseInt(line(in).trim(), 16); n > 0; n = Integer.parseInt(line(in).trim(), 16)) {
                all.write(in.readNBytes(n));
                line(in);
            }
            line(in);
            body = all.toByteArray();
        } else {
            body = new byte[(int) length];
            in.readFully(body);
        }
        if (gzip) {
            try (InputStream z = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
                body = z.readAllBytes();
            }
        }
        return body;
    }

    private static String line(DataInputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed after " + sb);
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }
}
