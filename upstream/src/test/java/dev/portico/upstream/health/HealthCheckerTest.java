package dev.portico.upstream.health;

import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.ManualTimer;
import dev.portico.upstream.Pool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** Rise/fall, intervals, passive failures and all-down mode, on a manual clock (no sleeping). */
class HealthCheckerTest {

    private final ManualTimer clock = new ManualTimer();
    private final ScriptedProbe probe = new ScriptedProbe(clock);
    private final Pool pool = Pool.create("app");
    private final Backend a = Backend.of("10.0.0.1:8080");
    private final Backend b = Backend.of("10.0.0.2:8080");
    private final List<String> changes = new ArrayList<>();
    private HealthChecker checker;

    /** interval 2s, timeout 1s, rise 2, fall 3, down 1s, all-down 500ms. */
    private final HealthCheckConfig defaults = HealthCheckConfig.builder(HealthCheckType.TCP).build();

    HealthCheckerTest() {
        pool.add(a);
        pool.add(b);
        pool.addHealthListener((backend, from, to, reason) ->
                changes.add(backend.address().host() + " " + from + "->" + to + " (" + reason + ")"));
    }

    private HealthChecker start(HealthCheckConfig config) {
        return start(config, probe);
    }

    private HealthChecker start(HealthCheckConfig config, Probe p) {
        checker = HealthChecker.create(pool, config, p, clock);
        checker.start();
        clock.runDue();
        return checker;
    }

    private void advanceSeconds(double seconds) {
        clock.advance(Duration.ofMillis((long) (seconds * 1000)));
    }

    @AfterEach
    void close() {
        if (checker != null) {
            checker.close();
        }
    }

    @Test
    void firstPassMarksUpThenFallFailuresMarkDownThenRisePassesMarkUp() {
        start(defaults);
        assertThat(a.health()).isEqualTo(HealthState.UP);
        assertThat(b.health()).isEqualTo(HealthState.UP);

        probe.fail(a);
        advanceSeconds(2);
        assertThat(a.health()).as("1 of 3 failures").isEqualTo(HealthState.UP);
        advanceSeconds(2);
        assertThat(a.health()).as("2 of 3 failures").isEqualTo(HealthState.UP);
        advanceSeconds(2);
        assertThat(a.health()).isEqualTo(HealthState.DOWN);

        probe.pass(a);
        advanceSeconds(1);
        assertThat(a.health()).as("1 of 2 passes").isEqualTo(HealthState.DOWN);
        advanceSeconds(1);
        assertThat(a.health()).isEqualTo(HealthState.UP);

        assertThat(changes).containsExactly(
                "10.0.0.1 UNKNOWN->UP (first check passed: scripted pass)",
                "10.0.0.2 UNKNOWN->UP (first check passed: scripted pass)",
                "10.0.0.1 UP->DOWN (check failed 3/3: scripted failure)",
                "10.0.0.1 DOWN->UP (check passed 2/2: scripted pass)");
    }

    @Test
    void upBackendsAreCheckedEveryIntervalAndDownOnesEveryDownInterval() {
        start(defaults.toBuilder().fall(1).build());
        advanceSeconds(6);
        assertThat(probe.gapsMillis(a)).containsExactly(2000L, 2000L, 2000L);

        probe.fail(a);
        advanceSeconds(2); // this check fails: DOWN
        advanceSeconds(3);
        assertThat(probe.gapsMillis(a)).endsWith(2000L, 1000L, 1000L, 1000L);
        assertThat(probe.gapsMillis(b)).as("b stays on the normal interval").containsOnly(2000L);
    }

    @Test
    void unknownBackendThatFailsGoesDownAfterFallFailures() {
        probe.fail(a);
        start(defaults);
        assertThat(a.health()).isEqualTo(HealthState.UNKNOWN);
        advanceSeconds(4);
        assertThat(a.health()).isEqualTo(HealthState.DOWN);
    }

    @Test
    void passiveFailureMarksDownAtOnceAndOnlyActiveChecksBringItBack() {
        start(defaults);
        advanceSeconds(0.3);
        a.onConnectStart();
        a.onConnectFailed("Connection refused");
        assertThat(a.health()).isEqualTo(HealthState.DOWN);
        assertThat(pool.eligible()).containsExactly(b);
        clock.runDue();
        int before = probe.calls(a);

        advanceSeconds(1); // expedited: within downInterval, not the 1.7s left of the interval
        assertThat(probe.calls(a)).isEqualTo(before + 1);
        assertThat(a.health()).as("needs rise=2 passes").isEqualTo(HealthState.DOWN);
        advanceSeconds(1);
        assertThat(a.health()).isEqualTo(HealthState.UP);
        assertThat(changes).contains("10.0.0.1 UP->DOWN (connect failed: Connection refused)");
    }

    @Test
    void passStartedBeforeAPassiveFailureDoesNotCount() {
        start(defaults.toBuilder().rise(1).build());
        probe.hold();
        advanceSeconds(2); // a check is now in flight
        a.onConnectFailed("reset");
        clock.runDue();
        probe.release(true);
        clock.runDue();
        assertThat(a.health()).as("the in-flight pass predates the failure").isEqualTo(HealthState.DOWN);
        advanceSeconds(1);
        assertThat(a.health()).isEqualTo(HealthState.UP);
    }

    @Test
    void wholePoolDownSwitchesToAggressiveRechecksUntilOneRecovers() {
        start(defaults.toBuilder().fall(1).build());
        probe.fail(a);
        probe.fail(b);
        advanceSeconds(2);
        assertThat(pool.allDown()).isTrue();
        assertThat(checker.aggressive()).isTrue();

        int aBefore = probe.calls(a);
        advanceSeconds(2);
        assertThat(probe.calls(a) - aBefore).as("every 500ms while all down").isEqualTo(4);

        probe.pass(b);
        advanceSeconds(1); // two passes at 500ms spacing: rise reached
        assertThat(b.health()).isEqualTo(HealthState.UP);
        assertThat(checker.aggressive()).isFalse();

        int aAfter = probe.calls(a);
        advanceSeconds(3);
        assertThat(probe.calls(a) - aAfter).as("back to the 1s down interval").isBetween(3, 4);
    }

    @Test
    void checkThatNeverAnswersFailsAtItsDeadline() {
        start(defaults.toBuilder().fall(1).build(), backend -> new CompletableFuture<>());
        assertThat(a.health()).isEqualTo(HealthState.UNKNOWN);
        // At the timeout a probe still has the grace to report what it waited for itself.
        advanceSeconds(1);
        assertThat(a.health()).isEqualTo(HealthState.UNKNOWN);
        clock.advance(HealthCheckConfig.REPORT_GRACE);
        assertThat(a.health()).isEqualTo(HealthState.DOWN);
        assertThat(changes.getFirst()).contains("check timed out after 1s waiting for the probe");
    }

    @Test
    void aProbeThatBoundsItselfGivesItsOwnReasonAtTheTimeout() {
        CompletableFuture<ProbeResult> pending = new CompletableFuture<>();
        start(defaults.toBuilder().fall(1).build(), backend -> pending);
        clock.schedule(() -> pending.complete(ProbeResult.failed("http 10.0.0.1:8080/: timed out after 1s waiting "
                + "for the response head")), defaults.timeout());
        advanceSeconds(1);
        assertThat(a.health()).isEqualTo(HealthState.DOWN);
        assertThat(changes.getFirst()).contains("timed out after 1s waiting for the response head");
    }

    @Test
    void probeExceptionsCountAsFailures() {
        start(defaults.toBuilder().fall(1).build(), backend -> {
            if (backend == a) {
                throw new IllegalStateException("probe bug");
            }
            return CompletableFuture.failedFuture(new java.io.IOException("no route"));
        });
        assertThat(a.health()).isEqualTo(HealthState.DOWN);
        assertThat(b.health()).isEqualTo(HealthState.DOWN);
        assertThat(changes).anyMatch(c -> c.contains("IllegalStateException: probe bug"))
                .anyMatch(c -> c.contains("IOException: no route"));
    }

    @Test
    void newMembersAreCheckedAndRemovedOnesForgotten() {
        start(defaults);
        Backend c = Backend.of("10.0.0.3:8080");
        pool.add(c);
        clock.runDue();
        assertThat(c.health()).isEqualTo(HealthState.UP);
        pool.remove(c);
        clock.runDue();
        int calls = probe.calls(c);
        advanceSeconds(10);
        assertThat(probe.calls(c)).isEqualTo(calls);
        assertThat(probe.calls(a)).isGreaterThan(calls);
    }

    @Test
    void closeStopsAllChecks() {
        start(defaults);
        checker.close();
        clock.runDue();
        int calls = probe.calls(a);
        advanceSeconds(10);
        assertThat(probe.calls(a)).isEqualTo(calls);
        assertThat(clock.pending()).isZero();
        a.onConnectFailed("after close");
        clock.runDue();
        assertThat(clock.pending()).isZero();
    }

    @Test
    void noneProbeBringsPassivelyFailedBackendsBackAfterRiseDownIntervals() {
        start(defaults, Probes.none());
        a.onConnectFailed("refused");
        clock.runDue();
        advanceSeconds(1);
        assertThat(a.health()).isEqualTo(HealthState.DOWN);
        advanceSeconds(1);
        assertThat(a.health()).isEqualTo(HealthState.UP);
    }
}
