package dev.portico.proxy;

import dev.portico.core.net.HostPort;
import dev.portico.upstream.health.HealthCheckConfig;

import java.util.List;
import java.util.Objects;

/**
 * The backends of one Host (or of the {@code *} default) and how they are picked and checked.
 *
 * @param backends  the hosts, at least one
 * @param scheduler {@code roundrobin}, {@code iphash}, {@code urlhash} or any upstream scheduler name
 * @param health    the active health check ({@code none} by default)
 */
public record PoolSpec(List<HostPort> backends, String scheduler, HealthCheckConfig health) {

    public PoolSpec {
        backends = List.copyOf(backends);
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(health, "health");
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("a pool needs at least one backend");
        }
        Routing.validateScheduler(scheduler);
    }

    /** A round-robin pool without health checks. */
    public static PoolSpec of(HostPort... backends) {
        return new PoolSpec(List.of(backends), "roundrobin", HealthCheckConfig.parse("none"));
    }
}
