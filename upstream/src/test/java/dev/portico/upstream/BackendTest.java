package dev.portico.upstream;

import dev.portico.testing.LogCapture;
import dev.portico.core.net.HostPort;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackendTest {

    private final ManualTimer clock = new ManualTimer();

    private Backend backend() {
        return Backend.builder(HostPort.parse("10.0.0.1:80")).ticker(clock).build();
    }

    @Test
    void defaultsAreEnabledUnknownWeightOneNamedAfterAddress() {
        Backend b = Backend.of("10.0.0.1:80");
        assertThat(b.name()).isEqualTo("10.0.0.1:80");
        assertThat(b.weight()).isEqualTo(1);
        assertThat(b.adminState()).isEqualTo(AdminState.ENABLED);
        assertThat(b.health()).isEqualTo(HealthState.UNKNOWN);
        assertThat(b.eligible()).as("unknown counts as up").isTrue();
    }

    @Test
    void countsConnectionsBytesAndCloseTime() {
        Backend b = backend();
        b.onConnectStart();
        b.onConnectStart();
        assertThat(b.stats().open()).isEqualTo(2);
        clock.advance(Duration.ofSeconds(5));
        b.onClosed(100, 20);
        BackendStats.Snapshot s = b.stats().snapshot();
        assertThat(s.open()).isEqualTo(1);
        assertThat(s.total()).isEqualTo(2);
        assertThat(s.failed()).isZero();
        assertThat(s.bytesIn()).isEqualTo(100);
        assertThat(s.bytesOut()).isEqualTo(20);
        assertThat(s.lastClose()).contains(clock.now());
        assertThat(b.stats().lastCloseNanos()).isEqualTo(clock.nanoTime());
        assertThat(s.lastFailure()).isEmpty();
    }

    @Test
    void connectFailureCountsRecordsReasonAndMarksDownAtOnce() {
        Backend b = backend();
        List<String> events = new ArrayList<>();
        b.addHealthListener((backend, from, to, reason) -> events.add(from + "->" + to + ": " + reason));
        b.onConnectStart();
        b.onConnectFailed("Connection refused");
        assertThat(b.health()).isEqualTo(HealthState.DOWN);
        assertThat(b.eligible()).isFalse();
        assertThat(b.stats().open()).isZero();
        assertThat(b.stats().failed()).isEqualTo(1);
        assertThat(b.stats().lastFailure()).hasValueSatisfying(f -> {
            assertThat(f.reason()).isEqualTo("Connection refused");
            assertThat(f.time()).isEqualTo(clock.now());
        });
        assertThat(events).containsExactly("UNKNOWN->DOWN: connect failed: Connection refused");
        b.onConnectStart();
        b.onConnectFailed("again");
        assertThat(events).as("no event without a change").hasSize(1);
        assertThat(b.stats().failed()).isEqualTo(2);
    }

    @Test
    void requestFailuresInARowMarkTheBackendDownAndASuccessStartsTheCountAgain() {
        Backend b = backend();
        b.markHealth(HealthState.UP, "check");
        for (int i = 1; i < Backend.REQUEST_FALL; i++) {
            b.onRequestFailed("reset");
        }
        b.onRequestSucceeded();
        for (int i = 1; i < Backend.REQUEST_FALL; i++) {
            b.onRequestFailed("reset");
        }
        assertThat(b.health()).as("a success in between").isEqualTo(HealthState.UP);
        b.onRequestFailed("reset");
        assertThat(b.health()).isEqualTo(HealthState.DOWN);
        assertThat(b.healthReason()).contains("in a row").contains("reset");
        assertThat(b.stats().failed()).isEqualTo(2L * Backend.REQUEST_FALL - 1);
        b.onRetried();
        assertThat(b.stats().retries()).isEqualTo(1);
        assertThat(b.stats().snapshot().retries()).isEqualTo(1);
    }

    @Test
    void markHealthReportsWhetherItChanged() {
        Backend b = backend();
        assertThat(b.markHealth(HealthState.UP, "check")).isTrue();
        assertThat(b.markHealth(HealthState.UP, "check")).isFalse();
        assertThat(b.markHealth(HealthState.DOWN, "check")).isTrue();
    }

    @Test
    void failingListenerDoesNotStopOthers() {
        Backend b = backend();
        List<HealthState> seen = new ArrayList<>();
        b.addHealthListener((backend, from, to, reason) -> {
            throw new IllegalStateException("boom");
        });
        b.addHealthListener((backend, from, to, reason) -> seen.add(to));
        try (LogCapture log = new LogCapture(Backend.class)) {
            b.markHealth(HealthState.DOWN, "x");
            assertThat(log.events(ch.qos.logback.classic.Level.ERROR)).singleElement().satisfies(e -> {
                assertThat(e.getFormattedMessage()).contains("failed for backend 10.0.0.1:80");
                assertThat(e.getThrowableProxy().getMessage()).isEqualTo("boom");
            });
        }
        assertThat(seen).containsExactly(HealthState.DOWN);
    }

    @Test
    void adminStateControlsEligibility() {
        Backend b = backend();
        b.adminState(AdminState.DRAINING);
        assertThat(b.eligible()).isFalse();
        b.adminState(AdminState.DISABLED);
        assertThat(b.eligible()).isFalse();
        b.adminState(AdminState.ENABLED);
        assertThat(b.eligible()).isTrue();
    }

    @Test
    void forcedUpIsEligibleWhateverItsHealthAndEnabledHandsBackToTheChecks() {
        Backend b = backend();
        b.markHealth(HealthState.DOWN, "check failed 3/3");
        assertThat(b.eligible()).isFalse();
        b.adminState(AdminState.FORCED_UP);
        assertThat(b.eligible()).isTrue();
        assertThat(b.health()).isEqualTo(HealthState.DOWN);
        b.adminState(AdminState.ENABLED);
        assertThat(b.eligible()).isFalse();
        b.markHealth(HealthState.UP, "check passed 2/2");
        assertThat(b.eligible()).isTrue();
    }

    @Test
    void remembersWhenTheHealthLastChanged() {
        java.time.Instant t0 = java.time.Instant.parse("2025-05-01T10:00:00Z");
        java.util.concurrent.atomic.AtomicReference<java.time.Instant> now = new java.util.concurrent.atomic.AtomicReference<>(t0);
        Backend b = Backend.builder(HostPort.parse("10.0.0.1:80")).ticker(new Ticker() {
            @Override
            public long nanoTime() {
                return 0;
            }

            @Override
            public java.time.Instant now() {
                return now.get();
            }
        }).build();
        assertThat(b.healthChangedAt()).isNull();
        b.markHealth(HealthState.UP, "first check passed");
        assertThat(b.healthChangedAt()).isEqualTo(t0);
        now.set(t0.plusSeconds(5));
        b.markHealth(HealthState.UP, "again");
        assertThat(b.healthChangedAt()).isEqualTo(t0);
        b.markHealth(HealthState.DOWN, "check failed 3/3");
        assertThat(b.healthChangedAt()).isEqualTo(t0.plusSeconds(5));
    }

    @Test
    void weightIsValidated() {
        Backend b = backend();
        b.weight(7);
        assertThat(b.weight()).isEqualTo(7);
        assertThatThrownBy(() -> b.weight(0)).hasMessageContaining("expected: 1-65535");
        assertThatThrownBy(() -> Backend.of("h:1", 70_000)).hasMessageContaining("expected: 1-65535");
    }

    @Test
    void rejectsPortZero() {
        assertThatThrownBy(() -> Backend.of("10.0.0.1:0")).hasMessageContaining("port 0");
    }

    @Test
    void toStringShowsAddressWhenNamed() {
        Backend named = Backend.builder(HostPort.parse("10.0.0.1:80")).name("web1").build();
        assertThat(named.toString()).isEqualTo("web1(10.0.0.1:80)");
        assertThat(Backend.of("10.0.0.2:80").toString()).isEqualTo("10.0.0.2:80");
    }
}
