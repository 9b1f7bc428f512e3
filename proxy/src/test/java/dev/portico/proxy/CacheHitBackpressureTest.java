package dev.portico.proxy;

import dev.portico.proxy.cache.CacheConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Cache hits pipelined by a client that reads none of them: the proxy stops reading once its
 * answers wait for the socket, instead of answering every request into memory.
 */
@Timeout(120)
class CacheHitBackpressureTest {

    private static final byte[] REQUEST = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** Answers that may be made before the client reads: what the kernel's buffers hold, with room. */
    private static final long ANSWERED_BOUND = 200;

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private double hits() {
        var c = h.meters.find("portico_proxy_cache_requests").tag("result", "hit").counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void pipelinedHitsWaitForTheClientToRead() throws Exception {
        char[] letters = new char[60 * 1024];
        Random random = new Random(7);
        for (int i = 0; i < letters.length; i++) {
            letters[i] = (char) ('a' + random.nextInt(26));
        }
        String body = new String(letters);
        Origin o = h.origin("o", Replies.always(200, body, "Cache-Control: max-age=600"));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).cache(CacheConfig.builder().build()).build());
        assertThat(h.get("x", "/big").body()).hasSize(body.length());

        try (SocketChannel ch = SocketChannel.open()) {
            // fixed small buffers: the kernel holds little of what the proxy sends or is sent
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 64 * 1024);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, 32 * 1024);
            ch.connect(new InetSocketAddress("127.0.0.1", h.proxy.port()));
            ch.configureBlocking(false);
            ByteBuffer batch = ByteBuffer.allocate(REQUEST.length * 500);
            while (batch.hasRemaining()) {
                batch.put(REQUEST);
            }
            batch.flip();
            long[] sent = {0};
            int[] stuck = {0};
            // Send until the proxy has stopped taking requests (several polls in a row that write
            // nothing), or until it has answered far more than the kernel could hold.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
                long n = 0;
                for (int w; (w = ch.write(batch)) > 0; ) {
                    n += w;
                    if (!batch.hasRemaining()) {
                        batch.rewind();
                    }
                }
                sent[0] += n;
                stuck[0] = n == 0 ? stuck[0] + 1 : 0;
                return stuck[0] >= 10 || hits() > 3 * ANSWERED_BOUND;
            });
            assertThat(hits()).as("cache hits answered while the client read nothing").isLessThan(ANSWERED_BOUND);

            // a whole number of requests went out; the last one may be partial: complete it
            long partial = sent[0] % REQUEST.length;
            if (partial != 0) {
                ByteBuffer rest = ByteBuffer.wrap(REQUEST, (int) partial, REQUEST.length - (int) partial);
                ch.configureBlocking(true);
                while (rest.hasRemaining()) {
                    ch.write(rest);
                }
            }
            ch.configureBlocking(true);
            long requests = (sent[0] + REQUEST.length - 1) / REQUEST.length;
            ch.socket().setSoTimeout(30_000);
            InputStream in = new BufferedInputStream(ch.socket().getInputStream(), 1 << 16);
            for (long i = 0; i < requests; i++) {
                Http.Response r = Http.response(in, false);
                assertThat(r.head().line()).as("answer " + i).startsWith("HTTP/1.1 200");
                assertThat(r.body()).as("answer " + i).hasSize(body.length());
            }
        }
    }
}
