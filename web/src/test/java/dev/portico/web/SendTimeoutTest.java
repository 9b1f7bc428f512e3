package dev.portico.web;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.HttpConnection;
import dev.portico.web.http.HttpOptions;
import io.netty.channel.ChannelOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A client that stops reading an answer is closed after {@code timeouts.send} without progress,
 * whether the connection is kept alive or not and whatever the answer is made of, and the close
 * is logged at INFO with the client and the URL; a client that reads slowly is not.
 */
@Timeout(90)
class SendTimeoutTest {

    /** Far longer than the bound the tests wait: a close within it is the send timeout's. */
    private static final Duration IDLE = Duration.ofSeconds(120);
    private static final Duration SEND = Duration.ofSeconds(1);
    private static final Duration BOUND = Duration.ofSeconds(20);

    @TempDir
    Path root;
    WebHarness web;
    byte[] big;
    final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    final Logger connectionLog = (Logger) LoggerFactory.getLogger(HttpConnection.class);
    Level levelBefore;

    @BeforeEach
    void setUp() throws Exception {
        big = new byte[3 << 20];
        // random bytes, so that gzip cannot make the answer small
        new Random(7).nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        web = new WebHarness();
        logged.start();
        levelBefore = connectionLog.getLevel();
        // captured here, not printed
        connectionLog.setLevel(Level.INFO);
        connectionLog.setAdditive(false);
        connectionLog.addAppender(logged);
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
        connectionLog.detachAppender(logged);
        connectionLog.setAdditive(true);
        connectionLog.setLevel(levelBefore);
    }

    /**
     * Starts the server with a first handler that gives the server side of each connection a small
     * send buffer, so that the kernel cannot take the whole answer and most of it waits in the
     * server's outbound buffer, whose progress the send timeout watches.
     */
    private void start(WebConfig.Builder config) throws Exception {
        web.start(config.root(root).cacheMaxFileSize(1024).listen("127.0.0.1:0").http(new HttpOptions(8192, 16384,
                100, 1000, 100, Duration.ofSeconds(10), IDLE, Duration.ofSeconds(10), HttpOptions.DEFAULT_MAX_PIPELINED,
                SEND)).build(), List.of((Exchange ex) -> {
            ex.context().channel().config().setOption(ChannelOption.SO_SNDBUF, 32 * 1024);
            return false;
        }));
    }

    @Test
    void aKeptAliveClientThatStopsReadingIsClosed() throws Exception {
        start(WebConfig.builder());
        stopReadingAfterTheHead("");
    }

    @Test
    void aClosingClientThatStopsReadingIsClosed() throws Exception {
        start(WebConfig.builder());
        stopReadingAfterTheHead("Connection: close\r\n");
    }

    @Test
    void aStreamedAnswerThatIsNotReadIsClosed() throws Exception {
        start(WebConfig.builder().gzip(new WebConfig.Gzip(true, List.of("bin"), 1, 100L << 20, 1,
                root.resolve("gz-cache"))));
        stopReadingAfterTheHead("Accept-Encoding: gzip\r\n");
    }

    /** Asks for the big file, reads the status line, then nothing: the server must close within the bound. */
    private void stopReadingAfterTheHead(String headers) throws Exception {
        try (Socket s = smallWindowSocket()) {
            s.getOutputStream().write(("GET /big.bin HTTP/1.1\r\nHost: h\r\n" + headers + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(line(new DataInputStream(s.getInputStream()))).startsWith("HTTP/1.1 200");
            await().atMost(BOUND).until(() -> web.server.openConnections() == 0);

            ILoggingEvent event = await().atMost(BOUND).until(() -> logged.list.stream()
                    .filter(e -> e.getFormattedMessage().contains("timeouts.send")).findFirst().orElse(null), e -> e != null);
            assertThat(event.getLevel()).isEqualTo(Level.INFO);
            assertThat(event.getThrowableProxy()).isNull();
            assertThat(event.getFormattedMessage())
                    .contains("127.0.0.1:" + s.getLocalPort())
                    .contains("GET /big.bin")
                    .doesNotContain("\n");
        }
    }

    @Test
    void aSlowClientThatReadsNothingOfIts408IsClosed() throws Exception {
        // an error page larger than the kernel's buffers, so that the 408 waits for the client
        Files.write(root.resolve("408.html"), new byte[16 << 20]);
        web.start(WebConfig.builder().root(root).errorPage(408, root.resolve("408.html")).listen("127.0.0.1:0")
                .http(new HttpOptions(8192, 16384, 100, 1000, 100, Duration.ofMillis(500), IDLE, Duration.ofSeconds(10),
                        HttpOptions.DEFAULT_MAX_PIPELINED, SEND)).build());
        try (Socket s = smallWindowSocket()) {
            // headers that never end
            s.getOutputStream().write("GET /big.bin HTTP/1.1\r\nHost: h\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(line(new DataInputStream(s.getInputStream()))).startsWith("HTTP/1.1 408");
            await().atMost(BOUND).until(() -> web.server.openConnections() == 0);
        }
        assertThat(logged.list).extracting(ILoggingEvent::getFormattedMessage).anyMatch(m -> m.contains("timeouts.send"));
    }

    @Test
    void aSlowReaderThatKeepsReadingIsNotClosed() throws Exception {
        start(WebConfig.builder());
        int length = big.length;
        try (Socket s = smallWindowSocket()) {
            s.getOutputStream().write("GET /big.bin HTTP/1.1\r\nHost: h\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            DataInputStream in = new DataInputStream(s.getInputStream());
            assertThat(line(in)).startsWith("HTTP/1.1 200");
            while (!line(in).isEmpty()) {
                // headers
            }
            byte[] got = new byte[length];
            int at = 0;
            long started = System.nanoTime();
            while (at < got.length) {
                // a slow network: a small read now and then, slower in all than the send
                // timeout, but never pausing as long as it
                int n = in.read(got, at, Math.min(16 * 1024, got.length - at));
                if (n < 0) {
                    break;
                }
                at += n;
                LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
            }
            assertThat(at).as("bytes received before the server closed").isEqualTo(length);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("the download outlived the send timeout")
                    .isGreaterThan(SEND);
            assertThat(got).isEqualTo(big);
            // the connection is still kept alive for the next request
            s.getOutputStream().write("HEAD /big.bin HTTP/1.1\r\nHost: h\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(line(in)).startsWith("HTTP/1.1 200");
        }
        assertThat(logged.list).extracting(ILoggingEvent::getFormattedMessage).noneMatch(m -> m.contains("timeouts.send"));
    }

    private Socket smallWindowSocket() throws IOException {
        Socket s = new Socket();
        // A small fixed receive buffer keeps the kernel from taking the answer off the server.
        s.setReceiveBufferSize(16 * 1024);
        s.connect(new InetSocketAddress("127.0.0.1", web.port()), 5000);
        s.setSoTimeout(30_000);
        return s;
    }

    private static String line(DataInputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }
}
