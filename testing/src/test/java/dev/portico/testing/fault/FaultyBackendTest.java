package dev.portico.testing.fault;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The fault toolkit against itself: each fault is seen by real clients as it should be. */
@Timeout(60)
class FaultyBackendTest {

    @Test
    void fiftyKeepAliveClientsGetTheBackendsAnswers() throws Exception {
        try (FaultyBackend b = FaultyBackend.start("b");
             LoadDriver load = LoadDriver.get(b.port(), "x", "/", 50, Duration.ofSeconds(10))) {
            await().until(() -> load.requests() > 500);
            LoadDriver.Result r = load.stop();
            assertThat(r.failures()).isZero();
            assertThat(r.count(200)).isGreaterThan(500);
            // Keep-alive: far fewer connections than requests.
            assertThat(b.connections()).isLessThan((int) r.count(200));
        }
    }

    @Test
    void clientsAimAtABackendOnAnotherLoopbackAddress() throws Exception {
        try (FaultyBackend b = FaultyBackend.start("b", InetAddress.getByName("127.0.0.61"), 0);
             LoadDriver load = LoadDriver.get(b.socketAddress(), "x", "/", 4, Duration.ofSeconds(10))) {
            await().until(() -> b.requests() > 100);
            LoadDriver.Result r = load.stop();
            assertThat(r.failures()).as("%s", r).isZero();
        }
    }

    @Test
    void clientsRefusedOnADeadPortLeaveABackendAnswering() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        try (FaultyBackend b = FaultyBackend.start("b");
             LoadDriver load = LoadDriver.get(dead, "x", "/", 16, Duration.ofSeconds(10))) {
            await().until(() -> load.requests() > 50);
            // Both run on virtual threads: refused clients retrying must leave the carriers to the backend.
            assertThat(exchange(b, 10_000)).startsWith("HTTP/1.1 200");
            assertThat(load.stop().errors().keySet()).allSatisfy(k -> assertThat(k).containsIgnoringCase("refused"));
        }
    }

    @Test
    void killResetsConnectionsAndRefusesNewOnes() throws Exception {
        FaultyBackend b = FaultyBackend.start("b");
        try (LoadDriver load = LoadDriver.get(b.port(), "x", "/", 50, Duration.ofSeconds(10))) {
            await().until(() -> load.requests() > 200);
            b.kill();
            long at = load.requests();
            await().until(() -> load.requests() > at + 200);
            LoadDriver.Result r = load.stop();
            assertThat(r.errorCount()).isPositive();
            assertThat(r.errors().keySet()).anySatisfy(k -> assertThat(k).containsIgnoringCase("refused"));
        }
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), b.port()).close())
                .hasMessageContaining("refused");
    }

    @Test
    void aGracefulStopFinishesTheRequestsInProgress() throws Exception {
        FaultyBackend b = FaultyBackend.start("b").delay(Duration.ofMillis(200));
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), b.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            await().until(() -> b.requests() == 1);
            b.stopGracefully(Duration.ofSeconds(5));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 200").contains("Connection: close").endsWith("b");
        }
    }

    @Test
    void modesAnswer503ResetOrHang() throws Exception {
        try (FaultyBackend b = FaultyBackend.start("b")) {
            b.mode(FaultyBackend.Mode.UNAVAILABLE);
            assertThat(exchange(b, 10_000)).startsWith("HTTP/1.1 503");
            b.mode(FaultyBackend.Mode.RESET_AFTER_HEAD);
            assertThatThrownBy(() -> exchange(b, 10_000)).hasMessageContaining("reset");
            b.mode(FaultyBackend.Mode.HANG);
            assertThatThrownBy(() -> exchange(b, 300)).isInstanceOf(java.net.SocketTimeoutException.class);
        }
    }

    @Test
    void anAdvertisedKeepAliveTimeoutClosesIdleConnections() throws Exception {
        try (FaultyBackend b = FaultyBackend.start("b").keepAliveTimeout(Duration.ofSeconds(1));
             Socket s = new Socket(InetAddress.getLoopbackAddress(), b.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).contains("Keep-Alive: timeout=1").endsWith("b");
        }
    }

    private static String exchange(FaultyBackend b, int timeoutMillis) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(b.socketAddress(), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
