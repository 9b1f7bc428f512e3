package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.Pool;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;

import static dev.portico.upstream.scheduler.Fixtures.histogram;
import static dev.portico.upstream.scheduler.Fixtures.names;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** random and roundrobin, plus the shared contract. */
class SimpleSchedulersTest {

    @Test
    void roundRobinRotatesInSnapshotOrder() {
        Pool pool = Fixtures.pool(3);
        assertThat(names(Schedulers.roundRobin(), pool.eligible(), 7))
                .containsExactly("b0", "b1", "b2", "b0", "b1", "b2", "b0");
    }

    @Test
    void roundRobinSkipsDownBackendAndTakesItBackWhenUp() {
        Pool pool = Fixtures.pool(3);
        Scheduler rr = Schedulers.roundRobin();
        Backend b1 = pool.find("b1").orElseThrow();
        b1.markHealth(HealthState.DOWN, "test");
        assertThat(histogram(rr, pool.eligible(), 100)).containsEntry("b0", 50).containsEntry("b2", 50)
                .doesNotContainKey("b1");
        b1.markHealth(HealthState.UP, "test");
        Map<String, Integer> counts = histogram(rr, pool.eligible(), 300);
        assertThat(counts.values()).containsOnly(100);
    }

    @Test
    void randomIsRoughlyUniformAndAvoidsDownBackends() {
        Pool pool = Fixtures.pool(4);
        Random seeded = new Random(42);
        Scheduler random = Schedulers.random(() -> seeded);
        Map<String, Integer> counts = histogram(random, pool.eligible(), 40_000);
        counts.values().forEach(c -> assertThat(c / 40_000.0).isCloseTo(0.25, within(0.02)));

        pool.find("b3").orElseThrow().markHealth(HealthState.DOWN, "test");
        Map<String, Integer> after = histogram(random, pool.eligible(), 30_000);
        assertThat(after).doesNotContainKey("b3");
        after.values().forEach(c -> assertThat(c / 30_000.0).isCloseTo(1 / 3.0, within(0.02)));
    }

    @Test
    void everySchedulerRejectsAnEmptyListAndSelectReturnsEmpty() {
        Pool empty = Pool.create("empty");
        for (String name : Schedulers.names()) {
            Scheduler s = Schedulers.byName(name);
            assertThatThrownBy(() -> s.pick(List.of(), SelectionContext.empty()))
                    .as(name).isInstanceOf(NoSuchElementException.class);
            assertThat(s.select(empty, SelectionContext.ofKey("k"))).as(name).isEmpty();
        }
    }

    @Test
    void everySchedulerPicksOnlyEligibleBackends() {
        Pool pool = Fixtures.pool(5);
        pool.find("b2").orElseThrow().markHealth(HealthState.DOWN, "test");
        for (String name : Schedulers.names()) {
            Scheduler s = Schedulers.byName(name);
            for (int i = 0; i < 200; i++) {
                SelectionContext ctx = i % 2 == 0 ? SelectionContext.ofClient(Fixtures.ip(i)) : SelectionContext.empty();
                assertThat(s.select(pool, ctx)).as(name).hasValueSatisfying(b -> assertThat(b.name()).isNotEqualTo("b2"));
            }
        }
    }
}
