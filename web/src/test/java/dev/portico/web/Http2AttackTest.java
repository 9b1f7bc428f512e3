package dev.portico.web;

import dev.portico.web.h2.Http2Options;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The HTTP/2 attacks a server must survive, each made with raw frames: the attacker is refused or
 * cut off, and another client is still served.
 */
@Timeout(60)
class Http2AttackTest {

    private static final int SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
    private static final int REFUSED_STREAM = 0x7;
    private static final int ENHANCE_YOUR_CALM = 0xb;

    @TempDir
    Path root;
    @TempDir
    Path work;
    WebHarness web;

    @BeforeEach
    void setUp() throws Exception {
        Files.writeString(root.resolve("hello.txt"), "hello over h2\n");
        web = new WebHarness();
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    private void start(Http2Options h2) throws Exception {
        web.start(WebConfig.builder().root(root).http2(h2));
    }

    /** Another client, on its own connection, still gets its answer. */
    private void othersServed() throws Exception {
        Curl.Result r = Curl.h2c(work, "http://127.0.0.1:" + web.port() + "/hello.txt");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).isEqualTo("hello over h2\n");
        try (var s = web.socket()) {
            assertThat(WebHarness.exchange(s, "GET /hello.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", null))
                    .startsWith("HTTP/1.1 200");
        }
    }

    private void connectionsBackToZero() {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(web.server.openConnections()).isZero());
    }

    @Test
    void streamsAboveTheLimitAreRefused() throws Exception {
        start(new Http2Options(true, 8, 16 * 1024, 65_535, 16_384, 200, Duration.ofSeconds(30), 10_000));
        // A window of 0: no answer can finish, so every stream stays open.
        try (RawH2 c = new RawH2(web.port(), SETTINGS_INITIAL_WINDOW_SIZE, 0)) {
            for (int i = 0; i < 9; i++) {
                c.request(1 + 2 * i, RawH2.get("/hello.txt"), true);
            }
            RawH2.Frame refused = null;
            while (refused == null) {
                RawH2.Frame f = c.read();
                assertThat(f).as("connection still open").isNotNull();
                if (f.type() == RawH2.RST_STREAM) {
                    refused = f;
                }
            }
            assertThat(refused.stream()).isEqualTo(17);
            assertThat(refused.errorCode()).isEqualTo(REFUSED_STREAM);
            othersServed();
            // The connection itself goes on: the window opens and the eight answers come.
            c.windowUpdate(1, 100);
            assertThat(new String(c.body(1))).isEqualTo("hello over h2\n");
        }
        connectionsBackToZero();
    }

    @Test
    void theDefaultsAreAdvertised() throws Exception {
        start(Http2Options.defaults().withH2c(true));
        try (RawH2 c = new RawH2(web.port())) {
            RawH2.Frame settings = c.read();
            assertThat(settings.type()).isEqualTo(RawH2.SETTINGS);
            java.util.Map<Integer, Integer> values = new java.util.HashMap<>();
            byte[] p = settings.payload();
            for (int i = 0; i + 6 <= p.length; i += 6) {
                values.put(((p[i] & 0xff) << 8) | (p[i + 1] & 0xff), ((p[i + 2] & 0xff) << 24)
                        | ((p[i + 3] & 0xff) << 16) | ((p[i + 4] & 0xff) << 8) | (p[i + 5] & 0xff));
            }
            assertThat(values).containsEntry(0x3, 128).containsEntry(0x6, 16 * 1024);
        }
    }

    @Test
    void aHeaderListAboveTheLimitGets431AndAnHpackBombIsRefused() throws Exception {
        start(Http2Options.defaults().withH2c(true));
        try (RawH2 c = new RawH2(web.port())) {
            Http2Headers big = RawH2.get("/hello.txt").add("x-big", "a".repeat(17 * 1024));
            c.request(1, big, true);
            assertThat(c.response(1).status()).isEqualTo(431);
            // The connection serves on.
            String value = "b".repeat(4000);
            c.request(3, RawH2.get("/hello.txt").add("x-bomb", value), true);
            assertThat(c.response(3).status()).isEqualTo(200);
            // 300 references to one 4000-byte entry: 300 bytes on the wire, 1.2 MB decoded.
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            b.write(new byte[] {(byte) 0x82, (byte) 0x86, (byte) 0x84}); // GET, http, /
            b.write(0x40); // a new name, indexed: becomes dynamic entry 62
            b.write(6);
            b.write("x-bomb".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            b.write(new byte[] {0x7f, (byte) 0xa1, 0x1e}); // 4000 = 127 + 3873
            b.write(value.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            for (int i = 0; i < 300; i++) {
                b.write(0x80 | 62);
            }
            byte[] block = b.toByteArray();
            c.frame(RawH2.HEADERS, RawH2.END_HEADERS | RawH2.END_STREAM, 5, block);
            c.flush();
            RawH2.Frame f;
            int status = 0;
            do {
                f = c.read();
                if (f != null && f.type() == RawH2.HEADERS && f.stream() == 5) {
                    status = Integer.parseInt(c.headers(f).status().toString());
                }
            } while (f != null && f.type() != RawH2.GOAWAY && f.type() != RawH2.RST_STREAM && status == 0);
            assertThat(status).as("the bomb is never answered 200").isNotEqualTo(200);
            assertThat(f == null || f.type() == RawH2.GOAWAY || f.type() == RawH2.RST_STREAM || status == 431).isTrue();
        }
        othersServed();
        connectionsBackToZero();
    }

    @Test
    void rapidResetIsCutOff() throws Exception {
        start(Http2Options.defaults().withH2c(true));
        rapidReset();
        othersServed();
        connectionsBackToZero();
    }

    /** Opens and resets streams in a loop until the server sends GOAWAY ENHANCE_YOUR_CALM and closes. */
    private void rapidReset() throws Exception {
        try (RawH2 c = new RawH2(web.port())) {
            try {
                for (int i = 0; i < 2000; i++) {
                    int stream = 1 + 2 * i;
                    c.request(stream, RawH2.get("/hello.txt"), false);
                    c.rst(stream, 0x8);
                }
                c.flush();
            } catch (IOException closedMeanwhile) {
                // the server cut the connection while frames were still going out
            }
            RawH2.Frame goAway = c.untilGoAway();
            assertThat(goAway).isNotNull();
            assertThat(goAway.errorCode()).as(new String(goAway.payload(), 8, goAway.payload().length - 8))
                    .isEqualTo(ENHANCE_YOUR_CALM);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    /**
     * Rounds of rapid resets, CONTINUATION floods and PING floods: once the first round has
     * warmed the pools up, the server's heap and direct memory stay where they were. The pooled
     * allocator may still take a few more chunks as its arenas spread over threads (seen: +9 MiB
     * in a JVM that had run the module's other tests first), so the bound is 16 MiB: far below
     * what three rounds of 2,000 reset streams, 20,000 CONTINUATION frames and a PING flood
     * would hold if any of them kept its buffers.
     */
    @Test
    @Timeout(180)
    void repeatedAttacksLeaveHeapAndDirectMemoryFlat() throws Exception {
        start(new Http2Options(true, 128, 16 * 1024, 65_535, 16_384, 200, Duration.ofSeconds(30), 1000));
        attackRound();
        long heap = settledHeap();
        long direct = directMemory();
        for (int round = 0; round < 3; round++) {
            attackRound();
        }
        othersServed();
        connectionsBackToZero();
        long slackHeap = 32L << 20;
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(directMemory()).as("direct memory after three more rounds (baseline %d)", direct)
                        .isLessThanOrEqualTo(direct + (16L << 20)));
        assertThat(settledHeap()).as("heap after three more rounds (baseline %d)", heap).isLessThanOrEqualTo(heap + slackHeap);
    }

    private void attackRound() throws Exception {
        rapidReset();
        try (RawH2 c = new RawH2(web.port())) {
            c.frame(RawH2.HEADERS, 0, 1, c.encode(RawH2.get("/hello.txt")));
            try {
                for (int i = 0; i < 20_000; i++) {
                    c.frame(RawH2.CONTINUATION, 0, 1, new byte[0]);
                }
                c.flush();
            } catch (IOException closedMeanwhile) {
                // cut off while flooding
            }
            assertThat(c.untilGoAway()).isNotNull();
        }
        flood(RawH2.PING, new byte[8]);
        connectionsBackToZero();
    }

    /** Heap in use after collections, the lowest of a few reads (a collection may still be running). */
    private static long settledHeap() {
        java.lang.management.MemoryMXBean mx = java.lang.management.ManagementFactory.getMemoryMXBean();
        long low = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            low = Math.min(low, mx.getHeapMemoryUsage().getUsed());
        }
        return low;
    }

    /** Direct memory held by Netty's default allocator (what the server's channels allocate from). */
    private static long directMemory() {
        if (io.netty.buffer.ByteBufAllocator.DEFAULT instanceof io.netty.buffer.ByteBufAllocatorMetricProvider p) {
            return p.metric().usedDirectMemory();
        }
        return io.netty.util.internal.PlatformDependent.usedDirectMemory();
    }

    @Test
    void continuationFloodIsAConnectionError() throws Exception {
        start(Http2Options.defaults().withH2c(true));
        try (RawH2 c = new RawH2(web.port())) {
            byte[] block = c.encode(RawH2.get("/hello.txt"));
            c.frame(RawH2.HEADERS, 0, 1, block);
            try {
                for (int i = 0; i < 100_000; i++) {
                    c.frame(RawH2.CONTINUATION, 0, 1, new byte[0]);
                }
                c.flush();
            } catch (IOException closedMeanwhile) {
                // cut off while flooding
            }
            RawH2.Frame goAway = c.untilGoAway();
            assertThat(goAway).isNotNull();
            assertThat(c.closedByServer()).isTrue();
        }
        // Headers that never end, in big CONTINUATION frames: cut off once past the limit.
        try (RawH2 c = new RawH2(web.port())) {
            Http2Headers h = new DefaultHttp2Headers().method("GET").scheme("http").authority("localhost")
                    .path("/hello.txt");
            c.frame(RawH2.HEADERS, 0, 1, c.encode(h));
            byte[] literal = c.encode(new DefaultHttp2Headers().add("x-pad", "p".repeat(8000)));
            try {
                for (int i = 0; i < 1000; i++) {
                    c.frame(RawH2.CONTINUATION, 0, 1, literal);
                }
                c.flush();
            } catch (IOException closedMeanwhile) {
                // cut off while flooding
            }
            assertThat(c.untilGoAway()).isNotNull();
            assertThat(c.closedByServer()).isTrue();
        }
        othersServed();
        connectionsBackToZero();
    }

    @Test
    void pingFloodFromAClientThatDoesNotReadIsCutOff() throws Exception {
        start(new Http2Options(true, 128, 16 * 1024, 65_535, 16_384, 200, Duration.ofSeconds(30), 1000));
        flood(RawH2.PING, new byte[8]);
        othersServed();
        connectionsBackToZero();
    }

    @Test
    void settingsFloodFromAClientThatDoesNotReadIsCutOff() throws Exception {
        start(new Http2Options(true, 128, 16 * 1024, 65_535, 16_384, 200, Duration.ofSeconds(30), 1000));
        flood(RawH2.SETTINGS, new byte[0]);
        othersServed();
        connectionsBackToZero();
    }

    private void flood(int type, byte[] payload) throws Exception {
        try (RawH2 c = RawH2.withReceiveBuffer(web.port(), 4096)) {
            boolean cut = false;
            try {
                for (int i = 0; i < 1_000_000; i++) {
                    c.frame(type, 0, 0, payload);
                    if (i % 1000 == 0) {
                        c.flush();
                    }
                }
                c.flush();
            } catch (IOException closed) {
                cut = true;
            }
            assertThat(cut || c.closedByServer()).as("the flooding connection was closed").isTrue();
        }
    }
}
