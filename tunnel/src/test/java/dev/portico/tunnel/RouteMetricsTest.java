package dev.portico.tunnel;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** 3wdd's route metrics: shared routes, RTT metrics, the entry metric, ties, the best path and rtch. */
class RouteMetricsTest {

    private static final Route NET = Route.parse("10.50.0.0/16");
    private static final long MS = 1_000_000L;

    private static RouteMetrics.Member member(String name, int position, long rttNanos, Route... routes) {
        return new RouteMetrics.Member(name, name + "-dev", position, rttNanos, List.of(routes));
    }

    private static RouteMetrics.Entry entry(String device, int metric) {
        return new RouteMetrics.Entry("10.50.0.0/16", false, device, metric);
    }

    @Test
    void onlyRoutesThatSeveralSessionsCarryAreShared() {
        Set<String> shared = RouteMetrics.shared(Map.of(
                "a", List.of(NET, Route.parse("10.1.0.0/16")),
                "b", List.of(Route.parse("10.50.0.0/16/7")),
                "c", List.of(Route.parse("10.2.0.0/16"))));
        assertThat(shared).containsExactly("10.50.0.0/16");
    }

    @Test
    void metricIsTenTimesTheRttInMillisecondsAtLeastOneOrTheFixedOne() {
        assertThat(RouteMetrics.metric(member("a", 0, 50 * MS), NET)).isEqualTo(500);
        assertThat(RouteMetrics.metric(member("a", 0, 150 * MS), NET)).isEqualTo(1500);
        assertThat(RouteMetrics.metric(member("a", 0, 30_000), NET)).isEqualTo(1);
        assertThat(RouteMetrics.metric(member("a", 3, -1), NET)).isEqualTo(RouteMetrics.UNMEASURED + 3);
        assertThat(RouteMetrics.metric(member("a", 0, 50 * MS), Route.parse("10.50.0.0/16/42"))).isEqualTo(42);
    }

    @Test
    void theFasterSessionGetsMetricZeroAndItsRtchRunsWhenTheBestChanges() {
        RouteMetrics rm = new RouteMetrics();
        Set<String> shared = Set.of("10.50.0.0/16");

        // Both just came up: unmeasured, in config order.
        RouteMetrics.Plan p = rm.period(shared, List.of(member("fast", 0, -1, NET), member("slow", 1, -1, NET)));
        assertThat(p.delete()).isEmpty();
        assertThat(p.add()).containsExactlyInAnyOrder(entry("fast-dev", 327_670), entry("slow-dev", 327_671),
                entry("fast-dev", 0));
        assertThat(p.rtch()).containsExactly("fast");

        // RTTs of 150 ms and 50 ms: the second path is faster and takes metric 0.
        p = rm.period(shared, List.of(member("fast", 0, 150 * MS, NET), member("slow", 1, 50 * MS, NET)));
        assertThat(p.best()).containsEntry("10.50.0.0/16", "slow");
        assertThat(p.rtch()).containsExactly("slow");
        assertThat(p.delete()).containsExactlyInAnyOrder(entry("fast-dev", 327_670), entry("slow-dev", 327_671),
                entry("fast-dev", 0));
        assertThat(p.add()).containsExactlyInAnyOrder(entry("fast-dev", 1500), entry("slow-dev", 500),
                entry("slow-dev", 0));

        // Unchanged RTTs: nothing to do and no rtch.
        p = rm.period(shared, List.of(member("fast", 0, 150 * MS, NET), member("slow", 1, 50 * MS, NET)));
        assertThat(p.changes()).isFalse();
        assertThat(p.rtch()).isEmpty();

        // The fast path's RTT rises above the other's: the route moves back, rtch runs again.
        p = rm.period(shared, List.of(member("fast", 0, 150 * MS, NET), member("slow", 1, 300 * MS, NET)));
        assertThat(p.best()).containsEntry("10.50.0.0/16", "fast");
        assertThat(p.rtch()).containsExactly("fast");
        assertThat(rm.installed()).containsExactlyInAnyOrder(entry("fast-dev", 1500), entry("slow-dev", 3000),
                entry("fast-dev", 0));
    }

    @Test
    void equalMetricsAreToldApartByPosition() {
        RouteMetrics rm = new RouteMetrics();
        RouteMetrics.Plan p = rm.period(Set.of("10.50.0.0/16"),
                List.of(member("b", 1, 50 * MS, NET), member("a", 0, 50 * MS, NET)));
        assertThat(p.add()).containsExactlyInAnyOrder(entry("a-dev", 500), entry("b-dev", 501), entry("a-dev", 0));
        assertThat(p.best()).containsEntry("10.50.0.0/16", "a");
    }

    @Test
    void aSessionThatGoesDownLeavesTheRouteToTheOther() {
        RouteMetrics rm = new RouteMetrics();
        Set<String> shared = Set.of("10.50.0.0/16");
        rm.period(shared, List.of(member("a", 0, 20 * MS, NET), member("b", 1, 80 * MS, NET)));
        rm.deviceGone("a-dev");
        RouteMetrics.Plan p = rm.period(shared, List.of(member("b", 1, 80 * MS, NET)));
        assertThat(p.delete()).isEmpty();
        assertThat(p.add()).containsExactly(entry("b-dev", 0));
        assertThat(p.rtch()).containsExactly("b");
        assertThat(rm.installed()).containsExactlyInAnyOrder(entry("b-dev", 800), entry("b-dev", 0));
    }
}
