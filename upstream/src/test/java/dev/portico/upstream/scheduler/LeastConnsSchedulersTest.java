package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.ManualTimer;
import dev.portico.upstream.Pool;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.portico.upstream.scheduler.Fixtures.backend;
import static dev.portico.upstream.scheduler.Fixtures.names;
import static org.assertj.core.api.Assertions.assertThat;

/** leastconns, leastconnsrr and weighted-leastconns. */
class LeastConnsSchedulersTest {

    private final ManualTimer clock = new ManualTimer();
    private final Pool pool = Pool.create("lc");
    private final Backend a = backend(1, 1, clock);
    private final Backend b = backend(2, 1, clock);
    private final Backend c = backend(3, 1, clock);

    LeastConnsSchedulersTest() {
        pool.add(a);
        pool.add(b);
        pool.add(c);
    }

    private static void open(Backend backend, int n) {
        for (int i = 0; i < n; i++) {
            backend.onConnectStart();
        }
    }

    @Test
    void leastConnsPicksFewestOpen() {
        open(a, 3);
        open(b, 1);
        open(c, 2);
        assertThat(Schedulers.leastConns().pick(pool.eligible(), SelectionContext.empty())).isSameAs(b);
    }

    @Test
    void leastConnsBreaksTiesByLeastRecentCloseNeverClosedFirst() {
        open(a, 1);
        open(b, 1);
        open(c, 1);
        a.onClosed(0, 0);
        clock.advance(Duration.ofSeconds(1));
        c.onClosed(0, 0);
        clock.advance(Duration.ofSeconds(1));
        b.onClosed(0, 0);
        // All at zero open; a closed longest ago.
        assertThat(Schedulers.leastConns().pick(pool.eligible(), SelectionContext.empty())).isSameAs(a);

        Backend fresh = backend(4, 1, clock);
        pool.add(fresh);
        assertThat(Schedulers.leastConns().pick(pool.eligible(), SelectionContext.empty()))
                .as("never closed counts as oldest").isSameAs(fresh);
    }

    @Test
    void leastConnsSpreadsWhenCallerTracksConnections() {
        Scheduler lc = Schedulers.leastConns();
        for (int i = 0; i < 9; i++) {
            lc.pick(pool.eligible(), SelectionContext.empty()).onConnectStart();
        }
        assertThat(List.of(a, b, c)).allSatisfy(x -> assertThat(x.stats().open()).isEqualTo(3));
    }

    @Test
    void leastConnsAvoidsDownBackendAndUsesItWhenBack() {
        open(a, 5);
        open(b, 5);
        c.markHealth(HealthState.DOWN, "test");
        assertThat(Schedulers.leastConns().pick(pool.eligible(), SelectionContext.empty())).isIn(a, b);
        c.markHealth(HealthState.UP, "test");
        assertThat(Schedulers.leastConns().pick(pool.eligible(), SelectionContext.empty())).isSameAs(c);
    }

    @Test
    void leastConnsRoundRobinRotatesAmongTies() {
        open(b, 1);
        Scheduler lcrr = Schedulers.leastConnsRoundRobin();
        assertThat(names(lcrr, pool.eligible(), 4)).containsExactly("b1", "b3", "b1", "b3");
        open(a, 1);
        open(c, 1);
        // The counter carries on (it is at 4), so the rotation over three ties starts at the second.
        assertThat(names(lcrr, pool.eligible(), 3)).containsExactly("b2", "b3", "b1");
    }

    @Test
    void weightedLeastConnsComparesOpenPerWeight() {
        a.weight(4);
        open(a, 3); // 0.75 per weight
        open(b, 1); // 1.0
        open(c, 2); // 2.0
        Scheduler wlc = Schedulers.weightedLeastConns();
        assertThat(wlc.pick(pool.eligible(), SelectionContext.empty())).isSameAs(a);
        open(a, 2); // 1.25
        assertThat(wlc.pick(pool.eligible(), SelectionContext.empty())).isSameAs(b);
    }

    @Test
    void weightedLeastConnsDistributesByWeight() {
        a.weight(3);
        Scheduler wlc = Schedulers.weightedLeastConns();
        for (int i = 0; i < 50; i++) {
            wlc.pick(pool.eligible(), SelectionContext.empty()).onConnectStart();
        }
        assertThat(a.stats().open()).isEqualTo(30);
        assertThat(b.stats().open()).isEqualTo(10);
        assertThat(c.stats().open()).isEqualTo(10);
    }
}
