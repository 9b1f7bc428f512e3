package dev.portico.web.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An idle keep-alive connection keeps nothing of the exchange it finished once the answer is out:
 * not the request, its headers, or the exchange itself (10,000 idle connections held about 900
 * bytes each of them).
 */
class IdleConnectionTest {

    private final AtomicReference<WeakReference<Exchange>> last = new AtomicReference<>();

    private final HttpContext context = new HttpContext(
            new HttpOptions(256, 8192, 20, 4096, 10_000, Duration.ofSeconds(10), Duration.ofSeconds(75), Duration.ofSeconds(60)),
            ex -> {
                last.set(new WeakReference<>(ex));
                ex.respond(200, "text/plain", "ok");
                return true;
            }, ErrorPages.defaults(), new HttpDates(Clock.systemUTC()), new AtomicInteger(), ex -> { }, null, "GET, HEAD");

    @Test
    void theFinishedExchangeIsNotKeptWhileTheConnectionIdles() {
        HttpConnection conn = new HttpConnection(() -> context);
        EmbeddedChannel ch = new EmbeddedChannel(conn.firstByteWatcher(),
                new StrictRequestDecoder(context.options().maxRequestLine(), context.options().maxHeaderSize()), conn);
        try {
            ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "v".repeat(4000)
                    + "\r\n\r\n", StandardCharsets.US_ASCII));
            assertThat(response(ch)).startsWith("HTTP/1.1 200 OK\r\n").endsWith("ok");
            assertThat(ch.isOpen()).as("kept alive").isTrue();

            // The connection's timer, which checks its deadlines every few seconds, finds the answer sent.
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                ch.advanceTimeBy(1, TimeUnit.SECONDS);
                ch.runScheduledPendingTasks();
                System.gc();
                return last.get().get() == null;
            });

            // ...and the connection still serves the next request.
            ch.writeInbound(Unpooled.copiedBuffer("GET /again HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.US_ASCII));
            assertThat(response(ch)).startsWith("HTTP/1.1 200 OK\r\n").endsWith("ok");
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    private static String response(EmbeddedChannel ch) {
        StringBuilder out = new StringBuilder();
        Object msg;
        while ((msg = ch.readOutbound()) != null) {
            try {
                out.append(((ByteBuf) msg).toString(StandardCharsets.ISO_8859_1));
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
        return out.toString();
    }
}
