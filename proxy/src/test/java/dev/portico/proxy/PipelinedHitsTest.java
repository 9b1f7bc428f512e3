package dev.portico.proxy;

import dev.portico.proxy.cache.CacheConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A client that pipelines many requests for a cached object and reads none of the answers must
 * not make the proxy hold every answer in memory: cache hits wait while the client connection
 * cannot take more.
 */
@Timeout(120)
class PipelinedHitsTest {

    private static final int REQUESTS = 2000;
    private static final int OBJECT = 60 * 1024;
    /** What the proxy may hold for this one client: far less than the 120 MB of all the answers. */
    private static final long BOUND = 8L << 20;

    private final ProxyHarness h = new ProxyHarness();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void close() throws Exception {
        threads.shutdownNow();
        h.close();
    }

    /** Direct memory in use: Netty's default allocator's own count and the JDK's direct buffers. */
    private static long directMemory() {
        long netty = ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p
                ? p.metric().usedDirectMemory() : 0;
        long jdk = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                jdk = pool.getMemoryUsed();
            }
        }
        return Math.max(netty, jdk);
    }

    @Test
    void pipelinedHitsThatAreNotReadStayBounded() throws Exception {
        byte[] object = new byte[OBJECT];
        java.util.Arrays.fill(object, (byte) 'o');
        String body = new String(object, StandardCharsets.ISO_8859_1);
        Origin o = h.origin("o", Replies.always(200, body, "Cache-Control: max-age=600"));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o))
                .cache(CacheConfig.builder().build()).build());
        assertThat(h.get("x", "/big").body()).hasSize(OBJECT);
        assertThat(h.get("x", "/big").header("x-cache")).isEqualTo("HIT");

        long baseline = directMemory();
        AtomicLong peak = new AtomicLong(baseline);
        AtomicBoolean sampling = new AtomicBoolean(true);
        Future<?> sampler = threads.submit(() -> {
            while (sampling.get()) {
                peak.accumulateAndGet(directMemory(), Math::max);
                LockSupport.parkNanos(500_000);
            }
        });

        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(32 * 1024);
            s.setSoTimeout(30_000);
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), h.proxy.port()));
            byte[] one = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            byte[] all = new byte[one.length * REQUESTS];
            for (int i = 0; i < REQUESTS; i++) {
                System.arraycopy(one, 0, all, i * one.length, one.length);
            }
            Future<?> writer = threads.submit(() -> {
                s.getOutputStream().write(all);
                s.getOutputStream().flush();
                return null;
            });
            // Wait until the proxy answers no more: all requests answered (the unbounded case), or
            // the count of hits standing still once every request was sent.
            long[] last = {-1};
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
                long hits = h.proxy.cache().stats().hits() - 1;
                boolean still = hits == last[0];
                last[0] = hits;
                return hits >= REQUESTS || still && writer.isDone() && hits > 0;
            });
            long held = peak.get() - baseline;
            assertThat(held).as("direct memory held for a client that reads nothing").isLessThan(BOUND);

            InputStream in = new BufferedInputStream(s.getInputStream());
            for (int i = 0; i < REQUESTS; i++) {
                Http.Response r = Http.response(in, false);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.header("x-cache")).isEqualTo("HIT");
                assertThat(r.body()).hasSize(OBJECT);
            }
            writer.get();
        } finally {
            sampling.set(false);
            sampler.get();
        }
        assertThat(peak.get() - baseline).as("direct memory held while the client read").isLessThan(BOUND);
        assertThat(h.proxy.cache().stats().hits()).isEqualTo(REQUESTS + 1);
        assertThat(o.seen).hasSize(1);
    }
}
