package dev.portico.proxy;

import dev.portico.core.net.HostPort;
import dev.portico.testing.fault.FaultyBackend;
import dev.portico.testing.fault.LoadDriver;
import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.health.HealthCheckConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Faults injected into one backend of a pool while fifty keep-alive clients send GETs through the
 * proxy: none of their requests may fail, since each failure happens before a response byte and
 * GET may be retried on the other backend.
 */
@Timeout(60)
class ProxyFaultTest {

    private static final int CLIENTS = 50;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    private final ProxyHarness h = new ProxyHarness();
    private final List<FaultyBackend> backends = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        h.close();
        for (FaultyBackend b : backends) {
            b.close();
        }
    }

    private FaultyBackend backend(String name) throws IOException {
        FaultyBackend b = FaultyBackend.start(name);
        backends.add(b);
        return b;
    }

    private ProxyConfig.Builder config(FaultyBackend... pool) {
        return ProxyHarness.config().connectTimeout(CONNECT_TIMEOUT).pool("*", new PoolSpec(
                Arrays.stream(pool).map(b -> HostPort.parse(b.address())).toList(), "roundrobin",
                HealthCheckConfig.parse("none")));
    }

    private Backend member(FaultyBackend b) {
        return h.proxy.pools().get("*").find(b.address()).orElseThrow();
    }

    /** Runs the load, injects {@code fault} once traffic flows on both backends, and runs on a while. */
    private LoadDriver.Result underLoad(FaultyBackend a, FaultyBackend b, ThrowingRunnable fault) throws Exception {
        try (LoadDriver load = LoadDriver.get(h.proxy.port(), "x", "/", CLIENTS, Duration.ofSeconds(20))) {
            await().until(() -> a.requests() > 200 && b.requests() > 200);
            fault.run();
            long at = load.requests();
            await().until(() -> load.requests() > at + 2000);
            return load.stop();
        }
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aKilledBackendFailsNoRequest() throws Exception {
        FaultyBackend a = backend("a");
        FaultyBackend b = backend("b");
        h.start(config(a, b).build());
        LoadDriver.Result r = underLoad(a, b, a::kill);
        assertThat(r.failures()).as("%s", r).isZero();
        assertThat(r.count(200)).isPositive();
    }

    @Test
    void aGracefullyStoppedBackendFailsNoRequest() throws Exception {
        FaultyBackend a = backend("a");
        FaultyBackend b = backend("b");
        h.start(config(a, b).build());
        LoadDriver.Result r = underLoad(a, b, () -> a.stopGracefully(Duration.ofSeconds(5)));
        assertThat(r.failures()).as("%s", r).isZero();
    }

    @Test
    void aBackendResettingAfterTheRequestHeadFailsNoRequest() throws Exception {
        FaultyBackend a = backend("a");
        FaultyBackend b = backend("b");
        h.start(config(a, b).build());
        LoadDriver.Result r = underLoad(a, b, () -> a.mode(FaultyBackend.Mode.RESET_AFTER_HEAD));
        assertThat(r.failures()).as("%s", r).isZero();
        assertThat(member(a).stats().retries()).isPositive();
    }

    @Test
    void aHungBackendIsLeftAfterTheFirstByteTimeoutAndMarkedDown() throws Exception {
        FaultyBackend a = backend("a");
        FaultyBackend b = backend("b");
        h.start(config(a, b).firstByteTimeout(Duration.ofMillis(300))
                .retryOn(RetryCondition.CONNECT_FAILURE, RetryCondition.RESET, RetryCondition.TIMEOUT).build());
        LoadDriver.Result r = underLoad(a, b, () -> {
            a.mode(FaultyBackend.Mode.HANG);
            await().until(() -> member(a).health() == HealthState.DOWN);
        });
        assertThat(r.failures()).as("%s", r).isZero();
        assertThat(member(a).stats().retries()).isPositive();
    }

    @Test
    void withEveryBackendDeadRequestsGet502Or503WithinTheConnectTimeout() throws Exception {
        FaultyBackend a = backend("a");
        FaultyBackend b = backend("b");
        h.start(config(a, b).build());
        a.kill();
        b.kill();
        // A request that hung would show as an error after ten connect timeouts.
        try (LoadDriver load = LoadDriver.get(h.proxy.port(), "x", "/", CLIENTS, CONNECT_TIMEOUT.multipliedBy(10))) {
            await().until(() -> load.requests() > 500);
            LoadDriver.Result r = load.stop();
            assertThat(r.errorCount()).as("%s", r).isZero();
            assertThat(r.count(502) + r.count(503)).isEqualTo(r.total());
        }
    }
}
