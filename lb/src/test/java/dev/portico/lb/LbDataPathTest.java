package dev.portico.lb;

import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.portico.lb.LbHarness.readLine;
import static dev.portico.lb.LbHarness.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The data path against real backends on loopback: placement, failover, half-close, backpressure, leaks. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LbDataPathTest {

    private final LbHarness h = new LbHarness();

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    @Test
    void roundRobinSpreadsConnectionsEvenlyOverThreeBackends() throws Exception {
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        TestBackend b = h.backend("b", TestBackend.Mode.ECHO);
        TestBackend c = h.backend("c", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(a.address()).backend(b.address()).backend(c.address()).build());

        Map<String, Integer> seen = new ConcurrentHashMap<>();
        for (int i = 0; i < 30; i++) {
            seen.merge(h.roundTrip(), 1, Integer::sum);
        }

        assertThat(seen).containsExactlyInAnyOrderEntriesOf(Map.of("a", 10, "b", 10, "c", 10));
        Backend first = h.lb.backend("main", a.address());
        await().until(() -> first.stats().open() == 0);
        assertThat(first.stats().total()).isEqualTo(10);
        // Each exchange: greeting "a\n" + "ping\n" + "bye\n" from the backend, "ping\n" to it.
        assertThat(first.stats().bytesIn()).isEqualTo(10 * (2 + 5 + 4));
        assertThat(first.stats().bytesOut()).isEqualTo(10 * 5);
    }

    @Test
    void backendsGivenByNameServeAndOneWhoseNameDoesNotResolveIsFailedOver() throws Exception {
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        String byName = "localhost:" + a.address().substring(a.address().lastIndexOf(':') + 1);
        // No active checks: only the data path can find out that a name does not resolve.
        h.start(LbHarness.config().health(HealthCheckConfig.builder(HealthCheckType.NONE).build())
                .backend("no-such-host.invalid:9").backend(byName).build());

        // Whichever host comes first, every client is served: the name that resolves is looked up
        // off the loop while the first clients wait, the one that does not is failed over.
        for (int i = 0; i < 4; i++) {
            assertThat(h.roundTrip()).isEqualTo("a");
        }
        assertThat(h.lb.backend("main", "no-such-host.invalid:9").stats().failed()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aNameWhoseLookupHangsCostsOneConnectTimeoutAndTheClientIsFailedOver() throws Exception {
        TestBackend live = h.backend("live", TestBackend.Mode.ECHO);
        String slow = "lookup-never-answers.test:9";
        h.holdLookups().start(LbHarness.config().health(HealthCheckConfig.builder(HealthCheckType.NONE).build())
                .connectTimeout(Duration.ofMillis(300)).backend(slow).backend(live.address()).build());

        // The first lookup of the name never ends: each client that picks it waits the connect
        // timeout, no longer, and is then served by the other host.
        for (int i = 0; i < 4; i++) {
            assertThat(h.roundTrip()).isEqualTo("live");
        }
        Backend stuck = h.lb.backend("main", slow);
        assertThat(stuck.stats().failed()).isGreaterThanOrEqualTo(1);
        assertThat(stuck.stats().lastFailure()).hasValueSatisfying(
                f -> assertThat(f.reason()).contains("timed out"));
        await().until(() -> stuck.stats().open() == 0);
    }

    @Test
    void refusedBackendIsFailedOverWithoutTheClientNoticing() throws Exception {
        TestBackend live = h.backend("live", TestBackend.Mode.ECHO);
        String dead = "127.0.0.1:" + TestBackend.deadPort();
        // No active probe, so only the data path can find the dead host out.
        h.start(LbHarness.config().backend(dead).backend(live.address())
                .health(HealthCheckConfig.builder(HealthCheckType.NONE).downInterval(Duration.ofMinutes(1)).build())
                .build());

        for (int i = 0; i < 10; i++) {
            assertThat(h.roundTrip()).isEqualTo("live");
        }

        Backend deadHost = h.lb.backend("main", dead);
        assertThat(deadHost.health()).isEqualTo(HealthState.DOWN);
        assertThat(deadHost.stats().failed()).isGreaterThanOrEqualTo(1);
        assertThat(deadHost.stats().open()).isZero();
        assertThat(h.lb.metrics().failoverTotal()).isGreaterThanOrEqualTo(1);
        assertThat(h.lb.metrics().noBackendTotal()).isZero();
    }

    @Test
    void killingOneOfThreeBackendsUnderLoadFailsNoClientAndItComesBackAfterRise() throws Exception {
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        TestBackend b = h.backend("b", TestBackend.Mode.ECHO);
        TestBackend c = h.backend("c", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(a.address()).backend(b.address()).backend(c.address()).build());
        Backend victim = h.lb.backend("main", b.address());

        AtomicInteger done = new AtomicInteger();
        List<Throwable> failures = new ArrayList<>();
        Map<String, Integer> afterKill = new ConcurrentHashMap<>();
        AtomicReference<Boolean> killed = new AtomicReference<>(false);
        Thread load = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < 500; i++) {
                try {
                    String name = h.roundTrip();
                    if (killed.get()) {
                        afterKill.merge(name, 1, Integer::sum);
                    }
                } catch (Exception e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
                done.incrementAndGet();
            }
        });
        await().until(() -> done.get() >= 100);
        b.stopListening();
        killed.set(true);
        await().atMost(Duration.ofSeconds(5)).until(() -> victim.health() == HealthState.DOWN);
        load.join();

        assertThat(failures).isEmpty();
        assertThat(done.get()).isEqualTo(500);
        int acceptedWhileDown = b.accepted.get();
        b.listen();
        await().atMost(Duration.ofSeconds(5)).until(() -> victim.health() == HealthState.UP);
        for (int i = 0; i < 9; i++) {
            h.roundTrip();
        }
        assertThat(b.accepted.get()).isGreaterThan(acceptedWhileDown);
        assertThat(h.lb.metrics().noBackendTotal()).isZero();
    }

    @Test
    void allBackendsDownClosesClientsPromptlyAndServiceResumesWhenOneReturns() throws Exception {
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        TestBackend b = h.backend("b", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(a.address()).backend(b.address()).build());
        assertThat(h.roundTrip()).isIn("a", "b");
        a.stopListening();
        b.stopListening();

        try (Socket s = h.connect()) {
            s.setSoTimeout(3_000);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(h.lb.metrics().noBackendTotal()).isGreaterThanOrEqualTo(1);
        await().until(() -> h.lb.activeGroup().pool().allDown());

        a.listen();
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> h.roundTrip().equals("a"));
        await().until(() -> h.lb.openConnections() == 0);
    }

    @Test
    void backendThatClosesBeforeAnyByteIsSkippedWithoutTheClientNoticing() throws Exception {
        TestBackend closer = h.backend("closer", TestBackend.Mode.CLOSE);
        TestBackend good = h.backend("good", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(closer.address()).backend(good.address()).health("none").build());
        for (int i = 0; i < 20; i++) {
            assertThat(h.roundTrip()).isEqualTo("good");
        }
        Backend bad = h.lb.backend("main", closer.address());
        assertThat(bad.health()).isEqualTo(HealthState.DOWN);
        assertThat(closer.accepted.get()).isPositive();
        await().until(() -> h.lb.openConnections() == 0 && bad.stats().open() == 0);
    }

    @Test
    void backendThatAcceptsThenResetsIsCountedAndNothingLeaks() throws Exception {
        TestBackend resetter = h.backend("reset", TestBackend.Mode.RESET);
        TestBackend good = h.backend("good", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().group("bad", resetter.address()).group("good", good.address())
                .activeGroup("bad").build());

        for (int i = 0; i < 5; i++) {
            try (Socket s = h.connect()) {
                send(s, "hello\n");
                InputStream in = s.getInputStream();
                try {
                    assertThat(in.read()).isEqualTo(-1);
                } catch (java.net.SocketException reset) {
                    // The reset may reach the client as a reset too; either way the connection ends.
                }
            }
        }

        await().until(() -> h.lb.metrics().backendErrorTotal() >= 1);
        Backend bad = h.lb.backend("bad", resetter.address());
        await().until(() -> bad.stats().open() == 0 && h.lb.openConnections() == 0);
        assertThat(bad.stats().total()).isEqualTo(5);
        h.lb.switchGroup("good");
        assertThat(h.roundTrip()).isEqualTo("good");
    }

    @Test
    void clientHalfCloseStillGetsTheBackendsAnswer() throws Exception {
        TestBackend echo = h.backend("echo", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().backend(echo.address()).build());

        try (Socket s = h.connect()) {
            assertThat(readLine(s)).isEqualTo("echo");
            send(s, "last words\n");
            s.shutdownOutput();
            String rest = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            assertThat(rest).isEqualTo("last words\nbye\n");
        }
        await().until(() -> h.lb.openConnections() == 0 && h.lb.backend("main", echo.address()).stats().open() == 0);
    }

    @Test
    void fiftyMegabytesThroughASlowReaderAreHeldBackNotBuffered() throws Exception {
        TestBackend source = h.backend("source", TestBackend.Mode.SOURCE);
        long total = 50L << 20;
        source.sourceBytes = total;
        h.start(LbHarness.config().backend(source.address()).build());

        try (Socket s = new Socket()) {
            // A fixed small receive buffer: the kernel must not absorb the transfer on the client side.
            s.setReceiveBufferSize(64 * 1024);
            s.setSoTimeout(10_000);
            s.connect(new java.net.InetSocketAddress(TestBackend.LOOPBACK, h.lb.port()));
            send(s, "g");
            InputStream in = s.getInputStream();
            byte[] first = in.readNBytes(64 * 1024);
            assertThat(first).hasSize(64 * 1024);
            // The client stops reading: the balancer must stop reading the backend, so the backend
            // gets stuck after filling the socket buffers instead of pushing all 50 MB into memory.
            await().atMost(Duration.ofSeconds(5)).until(() -> source.written.get() > 256 * 1024);
            // Written stops growing: what the backend got out sits in kernel socket buffers
            // (receive autotuning may take the balancer's side to tcp_rmem's maximum, which
            // varies with how fast the first bytes were read) plus one read's worth per direction
            // in the balancer, and the backend blocks well short of the 50 MB.
            java.util.concurrent.atomic.AtomicLong seen = new java.util.concurrent.atomic.AtomicLong(-1);
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(10))
                    .until(() -> seen.getAndSet(source.written.get()) == seen.get());
            assertThat(source.written.get()).isLessThan(total - (8L << 20));

            long offset = first.length;
            for (int i = 0; i < first.length; i++) {
                assertThat(first[i]).isEqualTo(TestBackend.pattern(i));
            }
            byte[] buf = new byte[256 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] != TestBackend.pattern(offset + i)) {
                        throw new AssertionError("byte " + (offset + i) + " differs");
                    }
                }
                offset += n;
            }
            assertThat(offset).isEqualTo(total);
        }
        Backend host = h.lb.backend("main", source.address());
        await().until(() -> host.stats().open() == 0);
        assertThat(host.stats().bytesIn()).isEqualTo(total);
    }

    @Test
    void twoThousandConnectionsLeaveNothingOpen() throws Exception {
        TestBackend a = h.backend("a", TestBackend.Mode.ECHO);
        TestBackend b = h.backend("b", TestBackend.Mode.ECHO);
        h.start(LbHarness.config().scheduler("leastconns").backend(a.address()).backend(b.address()).build());

        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                runs.add(clients.submit(() -> {
                    for (int i = 0; i < 250; i++) {
                        h.roundTrip();
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
        }

        assertThat(h.lb.metrics().acceptedTotal()).isEqualTo(2000);
        await().until(() -> h.lb.openConnections() == 0);
        Backend ba = h.lb.backend("main", a.address());
        Backend bb = h.lb.backend("main", b.address());
        await().until(() -> ba.stats().open() == 0 && bb.stats().open() == 0);
        assertThat(ba.stats().total() + bb.stats().total()).isEqualTo(2000);
        assertThat(h.lb.metrics().noBackendTotal()).isZero();
    }
}
