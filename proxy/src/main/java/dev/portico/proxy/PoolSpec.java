package dev.portico.proxy;

import dev.portico.core.net.HostPort;
import dev.portico.core.tls.ClientTlsSettings;
import dev.portico.upstream.health.HealthCheckConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The backends of one Host (or of the {@code *} default) and how they are picked, checked and
 * reached.
 *
 * @param backends   the hosts, at least one
 * @param scheduler  {@code roundrobin}, {@code iphash}, {@code urlhash} or any upstream scheduler name
 * @param health     the active health check ({@code none} by default)
 * @param tls        TLS to every backend of the pool, or null for plain connections
 * @param backendTls TLS of single backends ({@code https://} or their own {@code tls:}), over the pool's
 */
public record PoolSpec(List<HostPort> backends, String scheduler, HealthCheckConfig health, ClientTlsSettings tls,
                       Map<HostPort, ClientTlsSettings> backendTls) {

    public PoolSpec {
        backends = List.copyOf(backends);
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(health, "health");
        backendTls = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(backendTls));
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("a pool needs at least one backend");
        }
        for (HostPort b : backendTls.keySet()) {
            if (!backends.contains(b)) {
                throw new IllegalArgumentException("TLS settings for " + b + ", which is not a backend of the pool");
            }
        }
        Routing.validateScheduler(scheduler);
    }

    /** A pool with plain connections to its backends. */
    public PoolSpec(List<HostPort> backends, String scheduler, HealthCheckConfig health) {
        this(backends, scheduler, health, null, Map.of());
    }

    /** A round-robin pool without health checks. */
    public static PoolSpec of(HostPort... backends) {
        return new PoolSpec(List.of(backends), "roundrobin", HealthCheckConfig.parse("none"));
    }

    /** This pool with TLS to every backend. */
    public PoolSpec withTls(ClientTlsSettings value) {
        return new PoolSpec(backends, scheduler, health, value, backendTls);
    }

    /** This pool with TLS settings of one backend of its own. */
    public PoolSpec withTls(HostPort backend, ClientTlsSettings value) {
        Map<HostPort, ClientTlsSettings> m = new LinkedHashMap<>(backendTls);
        m.put(backend, Objects.requireNonNull(value, "value"));
        return new PoolSpec(backends, scheduler, health, tls, m);
    }

    /** How connections to {@code backend} speak TLS, or null when they are plain. */
    public ClientTlsSettings tls(HostPort backend) {
        ClientTlsSettings own = backendTls.get(backend);
        return own != null ? own : tls;
    }
}
