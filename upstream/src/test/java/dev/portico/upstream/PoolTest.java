package dev.portico.upstream;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PoolTest {

    private final Pool pool = Pool.create("web");
    private final Backend a = Backend.of("10.0.0.1:80");
    private final Backend b = Backend.of("10.0.0.2:80");
    private final Backend c = Backend.of("10.0.0.3:80");

    @Test
    void eligibleSnapshotFollowsStateInInsertionOrder() {
        pool.add(a);
        pool.add(b);
        pool.add(c);
        assertThat(pool.eligible()).containsExactly(a, b, c);

        b.markHealth(HealthState.DOWN, "test");
        assertThat(pool.eligible()).containsExactly(a, c);
        c.adminState(AdminState.DRAINING);
        assertThat(pool.eligible()).containsExactly(a);

        b.markHealth(HealthState.UP, "test");
        c.adminState(AdminState.ENABLED);
        assertThat(pool.eligible()).containsExactly(a, b, c);
        assertThat(pool.members()).containsExactly(a, b, c);
    }

    @Test
    void snapshotIsImmutableAndReplacedOnWeightChange() {
        pool.add(a);
        List<Backend> before = pool.eligible();
        assertThatThrownBy(() -> before.add(b)).isInstanceOf(UnsupportedOperationException.class);
        a.weight(5);
        assertThat(pool.eligible()).isNotSameAs(before).containsExactly(a);
    }

    @Test
    void removeStopsNotifications() {
        pool.add(a);
        assertThat(pool.remove(a)).isTrue();
        assertThat(pool.remove(a)).isFalse();
        List<Backend> snapshot = pool.eligible();
        a.markHealth(HealthState.DOWN, "test");
        assertThat(pool.eligible()).isSameAs(snapshot).isEmpty();
    }

    @Test
    void rejectsDuplicateNames() {
        pool.add(a);
        assertThatThrownBy(() -> pool.add(Backend.of("10.0.0.1:80")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10.0.0.1:80");
        assertThat(pool.find("10.0.0.1:80")).containsSame(a);
        assertThat(pool.find("nope")).isEmpty();
    }

    @Test
    void listenersSeeMembershipSnapshotsAndHealth() {
        List<String> events = new ArrayList<>();
        pool.addListener(new PoolListener() {
            @Override
            public void onBackendAdded(Pool p, Backend backend) {
                events.add("added " + backend);
            }

            @Override
            public void onBackendRemoved(Pool p, Backend backend) {
                events.add("removed " + backend);
            }

            @Override
            public void onEligibleChanged(Pool p, List<Backend> eligible) {
                events.add("eligible " + eligible.size());
            }
        });
        pool.addHealthListener((backend, from, to, reason) -> events.add(backend + " " + to + " " + reason));
        pool.add(a);
        pool.add(b);
        a.markHealth(HealthState.DOWN, "refused");
        pool.remove(b);
        assertThat(events).containsExactly(
                "added 10.0.0.1:80", "eligible 1",
                "added 10.0.0.2:80", "eligible 2",
                "eligible 1", "10.0.0.1:80 DOWN refused",
                "removed 10.0.0.2:80", "eligible 0");
    }

    @Test
    void allDownIgnoresDisabledMembersAndEmptyPools() {
        assertThat(pool.allDown()).isFalse();
        pool.add(a);
        pool.add(b);
        a.markHealth(HealthState.DOWN, "x");
        assertThat(pool.allDown()).isFalse();
        b.adminState(AdminState.DISABLED);
        assertThat(pool.allDown()).isTrue();
        b.adminState(AdminState.ENABLED);
        b.markHealth(HealthState.DOWN, "x");
        assertThat(pool.allDown()).isTrue();
        assertThat(pool.toString()).contains("web", "0/2");
    }
}
