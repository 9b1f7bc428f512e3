package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.Pool;
import dev.portico.upstream.Ticker;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** maglev and rendezvous: balance, weights, determinism and minimal disruption. */
class ConsistentHashSchedulersTest {

    private static final int KEYS = 20_000;

    private static Map<String, String> assign(Scheduler s, List<Backend> eligible) {
        Map<String, String> placement = new HashMap<>();
        for (int k = 0; k < KEYS; k++) {
            String key = "object-" + k;
            placement.put(key, s.pick(eligible, SelectionContext.ofKey(key)).name());
        }
        return placement;
    }

    private static Map<String, Integer> load(Map<String, String> placement) {
        Map<String, Integer> counts = new HashMap<>();
        placement.values().forEach(name -> counts.merge(name, 1, Integer::sum));
        return counts;
    }

    @ParameterizedTest
    @ValueSource(strings = {"maglev", "rendezvous"})
    void spreadsKeysEvenly(String name) {
        Pool pool = Fixtures.pool(5);
        Map<String, Integer> counts = load(assign(Schedulers.byName(name), pool.eligible()));
        assertThat(counts).hasSize(5);
        counts.values().forEach(c -> assertThat(c / (double) KEYS).isCloseTo(0.2, within(0.02)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"maglev", "rendezvous"})
    void isDeterministicAcrossInstancesAndSnapshots(String name) {
        Pool pool = Fixtures.pool(4);
        Map<String, String> one = assign(Schedulers.byName(name), pool.eligible());
        Pool same = Fixtures.pool(4);
        assertThat(assign(Schedulers.byName(name), same.eligible())).isEqualTo(one);
    }

    @ParameterizedTest
    @ValueSource(strings = {"maglev", "rendezvous"})
    void honoursWeights(String name) {
        Pool pool = Fixtures.weightedPool(3, 1);
        Map<String, Integer> counts = load(assign(Schedulers.byName(name), pool.eligible()));
        assertThat(counts.get("b0") / (double) KEYS).isCloseTo(0.75, within(0.03));
    }

    @ParameterizedTest
    @ValueSource(strings = {"maglev", "rendezvous"})
    void downBackendMovesOnlyItsKeysAndTheyReturnWhenItRecovers(String name) {
        Pool pool = Fixtures.pool(10);
        Scheduler s = Schedulers.byName(name);
        Map<String, String> before = assign(s, pool.eligible());
        Backend b3 = pool.find("b3").orElseThrow();
        b3.markHealth(HealthState.DOWN, "test");
        Map<String, String> during = assign(s, pool.eligible());

        int survivorsMoved = 0;
        int survivors = 0;
        for (var e : before.entrySet()) {
            String now = during.get(e.getKey());
            assertThat(now).isNotEqualTo("b3");
            if (!e.getValue().equals("b3")) {
                survivors++;
                if (!now.equals(e.getValue())) {
                    survivorsMoved++;
                }
            }
        }
        double moved = survivorsMoved / (double) survivors;
        if (name.equals("rendezvous")) {
            assertThat(survivorsMoved).as("rendezvous moves no key of a surviving backend").isZero();
        } else {
            assertThat(moved).as("maglev moves few keys of surviving backends").isLessThan(0.03);
        }

        b3.markHealth(HealthState.UP, "test");
        assertThat(assign(s, pool.eligible())).as("same snapshot content, same placement").isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"maglev", "rendezvous"})
    void addedBackendTakesAboutItsShareMostlyFromOthersProportionally(String name) {
        Pool pool = Fixtures.pool(9);
        Scheduler s = Schedulers.byName(name);
        Map<String, String> before = assign(s, pool.eligible());
        pool.add(Fixtures.backend(9, 1, Ticker.system()));
        Map<String, String> after = assign(s, pool.eligible());
        int toNew = 0;
        int elsewhere = 0;
        for (var e : before.entrySet()) {
            String now = after.get(e.getKey());
            if (now.equals(e.getValue())) {
                continue;
            }
            if (now.equals("b9")) {
                toNew++;
            } else {
                elsewhere++;
            }
        }
        assertThat(toNew / (double) KEYS).isCloseTo(0.1, within(0.02));
        if (name.equals("rendezvous")) {
            assertThat(elsewhere).isZero();
        } else {
            assertThat(elsewhere / (double) KEYS).isLessThan(0.03);
        }
    }

    @Test
    void clientIpIsTheKeyWhenNoHashKeyIsGiven() {
        Pool pool = Fixtures.pool(5);
        Scheduler maglev = Schedulers.maglev();
        Backend first = maglev.pick(pool.eligible(), SelectionContext.ofClient(Fixtures.ip(7)));
        for (int i = 0; i < 10; i++) {
            assertThat(maglev.pick(pool.eligible(), SelectionContext.ofClient(Fixtures.ip(7)))).isSameAs(first);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"maglev", "rendezvous"})
    void withoutAnyKeyFallsBackToRoundRobin(String name) {
        Pool pool = Fixtures.pool(3);
        assertThat(Fixtures.names(Schedulers.byName(name), pool.eligible(), 3)).containsExactly("b0", "b1", "b2");
    }

    @Test
    void maglevTableIsPrimeAndGrowsWithPoolSize() {
        assertThat(MaglevScheduler.tableSize(3)).isEqualTo(65_537);
        int big = MaglevScheduler.tableSize(1_000);
        assertThat(big).isGreaterThanOrEqualTo(100_000);
        assertThat(java.math.BigInteger.valueOf(big).isProbablePrime(30)).isTrue();
    }

    @Test
    void maglevTableGivesEveryBackendItsShareOfSlots() {
        Pool pool = Fixtures.weightedPool(2, 1, 1);
        int[] slots = MaglevScheduler.build(pool.eligible()).slots();
        int[] owned = new int[3];
        for (int slot : slots) {
            owned[slot]++;
        }
        assertThat(owned[0] / (double) slots.length).isCloseTo(0.5, within(0.01));
        assertThat(owned[1] / (double) slots.length).isCloseTo(0.25, within(0.01));
    }
}
