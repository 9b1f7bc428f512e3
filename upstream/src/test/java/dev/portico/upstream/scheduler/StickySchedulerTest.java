package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.ManualTimer;
import dev.portico.upstream.Pool;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static dev.portico.upstream.scheduler.Fixtures.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StickySchedulerTest {

    private final ManualTimer clock = new ManualTimer();
    private final Pool pool = Fixtures.pool(3);
    private final StickyScheduler sticky = Schedulers.sticky(Schedulers.roundRobin(), Duration.ofMinutes(10), clock);

    private Backend pick(int client) {
        return sticky.pick(pool.eligible(), SelectionContext.ofClient(ip(client)));
    }

    @Test
    void sameClientSameBackendWhileNewClientsFollowTheFallback() {
        Backend first = pick(1);
        for (int i = 0; i < 20; i++) {
            assertThat(pick(1)).isSameAs(first);
        }
        Set<Backend> others = new HashSet<>();
        for (int c = 2; c <= 4; c++) {
            others.add(pick(c));
        }
        assertThat(others).as("new clients are spread by round robin").hasSize(3);
        assertThat(sticky.size()).isEqualTo(4);
    }

    @Test
    void entriesExpireAfterIdleTtlButUseKeepsThemAlive() {
        Backend first = pick(1);
        clock.advance(Duration.ofMinutes(9));
        assertThat(pick(1)).isSameAs(first);
        clock.advance(Duration.ofMinutes(9));
        assertThat(pick(1)).as("refreshed 9 minutes ago").isSameAs(first);
        clock.advance(Duration.ofMinutes(11));
        // Round robin moved on by one pick since then, so the expired client lands elsewhere.
        assertThat(pick(1)).isNotSameAs(first);
    }

    @Test
    void downBackendFallsBackAndClientStaysOnNewBackendAfterRecovery() {
        Backend first = pick(1);
        first.markHealth(HealthState.DOWN, "test");
        Backend second = pick(1);
        assertThat(second).isNotSameAs(first);
        first.markHealth(HealthState.UP, "test");
        assertThat(pick(1)).as("no flapping back").isSameAs(second);
    }

    @Test
    void hashKeyTakesPrecedenceOverClientIp() {
        Backend byKey = sticky.pick(pool.eligible(), SelectionContext.ofClient(ip(1)).withKey("session-42"));
        for (int c = 2; c < 10; c++) {
            assertThat(sticky.pick(pool.eligible(), SelectionContext.ofClient(ip(c)).withKey("session-42"))).isSameAs(byKey);
        }
    }

    @Test
    void contextWithoutKeyUsesFallbackAndRemembersNothing() {
        assertThat(sticky.pick(pool.eligible(), SelectionContext.empty()).name()).isEqualTo("b0");
        assertThat(sticky.pick(pool.eligible(), SelectionContext.empty()).name()).isEqualTo("b1");
        assertThat(sticky.size()).isZero();
    }

    @Test
    void tableIsBoundedAndSweepsExpiredEntries() {
        StickyScheduler small = Schedulers.sticky(Schedulers.roundRobin(), Duration.ofSeconds(30), clock, 2);
        small.pick(pool.eligible(), SelectionContext.ofClient(ip(1)));
        small.pick(pool.eligible(), SelectionContext.ofClient(ip(2)));
        small.pick(pool.eligible(), SelectionContext.ofClient(ip(3)));
        assertThat(small.size()).as("full of live entries: third client not learned").isEqualTo(2);
        clock.advance(Duration.ofSeconds(31));
        small.pick(pool.eligible(), SelectionContext.ofClient(ip(3)));
        assertThat(small.size()).as("expired entries swept to make room").isEqualTo(1);
        clock.advance(Duration.ofSeconds(31));
        assertThat(small.evictExpired()).isEqualTo(1);
        assertThat(small.size()).isZero();
    }

    @Test
    void forgetDropsEntriesOfARemovedBackend() {
        Backend first = pick(1);
        pick(2);
        sticky.forget(first);
        assertThat(sticky.size()).isEqualTo(1);
    }

    @Test
    void validatesArguments() {
        assertThatThrownBy(() -> Schedulers.sticky(Schedulers.random(), Duration.ZERO, clock))
                .hasMessageContaining("expected: > 0");
        assertThatThrownBy(() -> Schedulers.sticky(Schedulers.random(), Duration.ofSeconds(1), clock, 0))
                .hasMessageContaining("expected: >= 1");
        assertThat(sticky.name()).isEqualTo("roundrobin,sticky");
        assertThat(sticky.fallback().name()).isEqualTo("roundrobin");
    }
}
