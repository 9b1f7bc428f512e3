package dev.portico.upstream.scheduler;

import dev.portico.upstream.HealthState;
import dev.portico.upstream.Pool;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static dev.portico.upstream.scheduler.Fixtures.histogram;
import static dev.portico.upstream.scheduler.Fixtures.names;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** weighted (smooth WRR) and weighted-random. */
class WeightedSchedulersTest {

    @Test
    void smoothWeightedMatchesNginxSequence() {
        Pool pool = Fixtures.weightedPool(5, 1, 1);
        assertThat(names(Schedulers.weighted(), pool.eligible(), 14))
                .containsExactly("b0", "b0", "b1", "b0", "b2", "b0", "b0",
                        "b0", "b0", "b1", "b0", "b2", "b0", "b0");
    }

    @Test
    void smoothWeightedIsExactPerCycleAndReducesByGcd() {
        Pool pool = Fixtures.weightedPool(40, 20, 10);
        Scheduler s = Schedulers.weighted();
        assertThat(names(s, pool.eligible(), 7)).containsExactly("b0", "b1", "b0", "b2", "b0", "b1", "b0");
        Map<String, Integer> counts = histogram(s, pool.eligible(), 7_000);
        assertThat(counts).containsEntry("b0", 4_000).containsEntry("b1", 2_000).containsEntry("b2", 1_000);
    }

    @Test
    void smoothWeightedFallsBackToLiveSteppingForHugeTotals() {
        Pool pool = Fixtures.weightedPool(65_535, 65_534);
        Scheduler s = Schedulers.weighted();
        Map<String, Integer> counts = histogram(s, pool.eligible(), 131_069);
        assertThat(counts).containsEntry("b0", 65_535).containsEntry("b1", 65_534);
    }

    @Test
    void smoothWeightedFollowsWeightChangesAndHealth() {
        Pool pool = Fixtures.weightedPool(1, 1, 1);
        Scheduler s = Schedulers.weighted();
        assertThat(histogram(s, pool.eligible(), 300).values()).containsOnly(100);
        pool.find("b0").orElseThrow().weight(2);
        assertThat(histogram(s, pool.eligible(), 400)).containsEntry("b0", 200).containsEntry("b1", 100);
        pool.find("b0").orElseThrow().markHealth(HealthState.DOWN, "test");
        assertThat(histogram(s, pool.eligible(), 200)).containsEntry("b1", 100).containsEntry("b2", 100)
                .doesNotContainKey("b0");
        pool.find("b0").orElseThrow().markHealth(HealthState.UP, "test");
        assertThat(histogram(s, pool.eligible(), 400)).containsEntry("b0", 200);
    }

    @Test
    void weightedRandomIsProportionalToWeight() {
        Pool pool = Fixtures.weightedPool(6, 3, 1);
        Random seeded = new Random(7);
        Scheduler s = Schedulers.weightedRandom(() -> seeded);
        int n = 100_000;
        Map<String, Integer> counts = histogram(s, pool.eligible(), n);
        assertThat(counts.get("b0") / (double) n).isCloseTo(0.6, within(0.01));
        assertThat(counts.get("b1") / (double) n).isCloseTo(0.3, within(0.01));
        assertThat(counts.get("b2") / (double) n).isCloseTo(0.1, within(0.01));
    }

    @Test
    void weightedRandomRenormalisesWhenABackendIsDown() {
        Pool pool = Fixtures.weightedPool(6, 3, 1);
        Random seeded = new Random(11);
        Scheduler s = Schedulers.weightedRandom(() -> seeded);
        pool.find("b0").orElseThrow().markHealth(HealthState.DOWN, "test");
        int n = 40_000;
        Map<String, Integer> counts = histogram(s, pool.eligible(), n);
        assertThat(counts).doesNotContainKey("b0");
        assertThat(counts.get("b1") / (double) n).isCloseTo(0.75, within(0.015));
        pool.find("b0").orElseThrow().markHealth(HealthState.UP, "test");
        assertThat(histogram(s, pool.eligible(), n).get("b0") / (double) n).isCloseTo(0.6, within(0.015));
    }

    @Test
    void weightedRandomCoversEveryBackendIncludingEdges() {
        Pool pool = Fixtures.weightedPool(1, 1);
        // A generator that walks through every draw, so both ends of each range are hit.
        long[] next = {0};
        Scheduler s = Schedulers.weightedRandom(() -> new java.util.random.RandomGenerator() {
            @Override
            public long nextLong() {
                throw new UnsupportedOperationException();
            }

            @Override
            public long nextLong(long bound) {
                return next[0]++ % bound;
            }
        });
        assertThat(names(s, pool.eligible(), 4)).containsExactly("b0", "b1", "b0", "b1");
    }
}
