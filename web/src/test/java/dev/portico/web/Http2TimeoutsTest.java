package dev.portico.web;

import dev.portico.core.limits.IdleConnection;
import dev.portico.testing.LogCapture;
import dev.portico.web.h2.Http2Options;
import dev.portico.web.http.HttpOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The connection-wide timeouts of an h2 connection, its count and its close when idle under pressure. */
@Timeout(60)
class Http2TimeoutsTest {

    private static final int SETTINGS_INITIAL_WINDOW_SIZE = 0x4;

    @TempDir
    Path root;
    WebHarness web = new WebHarness();

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    private void start(Duration idle, Duration send) throws Exception {
        start(idle, send, HttpOptions.defaults().bodyTimeout());
    }

    private void start(Duration idle, Duration send, Duration body) throws Exception {
        Files.writeString(root.resolve("hello.txt"), "hello\n");
        byte[] big = new byte[4 << 20];
        new Random(1).nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        HttpOptions d = HttpOptions.defaults();
        web.start(WebConfig.builder().root(root).http(new HttpOptions(d.maxRequestLine(), d.maxHeaderSize(),
                d.maxHeaders(), d.maxBodySize(), 0, d.headerTimeout(), idle, body, d.maxPipelined(), send,
                Http2Options.defaults().withH2c(true))));
    }

    @Test
    void anIdleConnectionIsClosedWithGoAwayAndCountedOnceMeanwhile() throws Exception {
        start(Duration.ofMillis(500), Duration.ofSeconds(60));
        try (RawH2 c = new RawH2(web.port())) {
            for (int i = 0; i < 5; i++) {
                c.request(1 + 2 * i, RawH2.get("/hello.txt"), true);
            }
            assertThat(c.bodies(5)).hasSize(5).allSatisfy((stream, body) -> assertThat(body).isEqualTo("hello\n"));
            assertThat(web.server.openConnections()).isEqualTo(1);
            RawH2.Frame goAway = c.untilGoAway();
            assertThat(goAway).isNotNull();
            assertThat(goAway.errorCode()).isZero();
            assertThat(c.closedByServer()).isTrue();
        }
        await().untilAsserted(() -> assertThat(web.server.openConnections()).isZero());
    }

    @Test
    void aStreamWhoseBodyNeverComesIsResetAfterTheBodyTimeoutAndTheConnectionServesOn() throws Exception {
        start(Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofMillis(300));
        try (RawH2 c = new RawH2(web.port())) {
            // A request that announces a body (no END_STREAM) and never sends it: answered, then
            // the stream is still open on the client's side until its body timeout.
            c.request(1, RawH2.get("/hello.txt"), false);
            RawH2.Frame reset = null;
            int status = 0;
            for (RawH2.Frame f = c.read(); f != null; f = c.read()) {
                if (f.type() == RawH2.HEADERS) {
                    // Every block is decoded, so the client's HPACK table follows the server's.
                    status = Integer.parseInt(c.headers(f).status().toString());
                }
                if (f.stream() == 1 && f.type() == RawH2.RST_STREAM) {
                    reset = f;
                    break;
                }
            }
            assertThat(status).as("the file is answered before the body would end").isEqualTo(200);
            assertThat(reset).as("the stream is reset once its body timed out").isNotNull();
            c.request(3, RawH2.get("/hello.txt"), true);
            RawH2.Response r = c.response(3);
            assertThat(r.status()).isEqualTo(200);
            assertThat(new String(r.body(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("hello\n");
        }
    }

    @Test
    void aClientThatGrantsNoWindowAndSendsNothingIsClosedAfterTheSendTimeout() throws Exception {
        start(Duration.ofSeconds(60), Duration.ofMillis(500));
        try (LogCapture log = new LogCapture("dev.portico.web.h2");
             RawH2 c = new RawH2(web.port(), SETTINGS_INITIAL_WINDOW_SIZE, 0)) {
            c.request(1, RawH2.get("/big.bin"), true);
            assertThat(c.closedByServer()).isTrue();
            await().untilAsserted(() -> assertThat(log.messages(ch.qos.logback.classic.Level.INFO))
                    .anyMatch(m -> m.contains("closed (timeouts.send)")));
        }
        await().untilAsserted(() -> assertThat(web.server.openConnections()).isZero());
    }

    @Test
    void anIdleH2ConnectionIsOfferedWhenDescriptorsRunShortButABusyOneIsNot() throws Exception {
        start(Duration.ofSeconds(60), Duration.ofSeconds(60));
        try (RawH2 idle = new RawH2(web.port()); RawH2 busy = new RawH2(web.port(), SETTINGS_INITIAL_WINDOW_SIZE, 0)) {
            idle.request(1, RawH2.get("/hello.txt"), true);
            assertThat(new String(idle.body(1))).isEqualTo("hello\n");
            busy.request(1, RawH2.get("/big.bin"), true);
            await().until(() -> web.server.openConnections() == 2);
            // The busy one's stream waits for window; the idle one has none open.
            List<IdleConnection> offered = new ArrayList<>();
            await().untilAsserted(() -> {
                offered.clear();
                web.server.idleConnections(offered::add);
                assertThat(offered).hasSize(1);
            });
            offered.getFirst().close().run();
            assertThat(idle.untilGoAway()).isNotNull();
            assertThat(idle.closedByServer()).isTrue();
            await().until(() -> web.server.openConnections() == 1);
        }
    }

    @Test
    void aStopSendsGoAwayAndLetsTheStreamInFlightFinish() throws Exception {
        start(Duration.ofSeconds(60), Duration.ofSeconds(60));
        try (RawH2 c = new RawH2(web.port(), SETTINGS_INITIAL_WINDOW_SIZE, 0)) {
            c.request(1, RawH2.get("/big.bin"), true);
            await().until(() -> web.server.openConnections() == 1);
            Thread stopper = Thread.ofVirtual().start(() -> web.server.stop(Duration.ofSeconds(20)));
            RawH2.Frame goAway = c.untilGoAway();
            assertThat(goAway).isNotNull();
            assertThat(goAway.errorCode()).isZero();
            // The stream in flight still gets its whole answer.
            c.windowUpdate(1, 8 << 20);
            c.windowUpdate(0, 8 << 20);
            assertThat(c.body(1)).hasSize(4 << 20);
            assertThat(c.closedByServer()).isTrue();
            stopper.join(Duration.ofSeconds(20));
            assertThat(stopper.isAlive()).isFalse();
        }
        web.server = null;
    }
}
