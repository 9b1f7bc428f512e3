package dev.portico.filestore;

import dev.portico.core.config.Durations;
import dev.portico.core.config.Sizes;
import dev.portico.core.config.YamlWriter;
import dev.portico.core.net.Cidr;
import dev.portico.core.net.HostPort;
import dev.portico.proxy.ProxyCache;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Writes a {@link FilestoreConfig} as the {@code type: filestore} section that
 * {@link FilestoreServiceType} reads back to an equal config. Settings at their default are left
 * out, except {@code listen} and {@code pools}.
 */
final class FilestoreConfigYaml {

    private static final FilestoreConfig DEFAULTS;

    static {
        TreeMap<Integer, List<String>> stages = new TreeMap<>();
        stages.put(0, List.of("127.0.0.1:1", "127.0.0.1:2"));
        DEFAULTS = FilestoreConfig.builder().listen(HostPort.parse("127.0.0.1:1"))
                .pool(new StorePool(FilestoreConfig.DEFAULT_POOL, stages, 0)).build();
    }

    private FilestoreConfigYaml() {
    }

    /** The section, or empty when the health check has settings the file's short form cannot hold. */
    static Optional<Map<String, Object>> write(FilestoreConfig c) {
        if (health(c.health()) == null) {
            return Optional.empty();
        }
        return Optional.of(YamlWriter.withoutDefaults(full(c), full(DEFAULTS), List.of("type", "listen", "pools")));
    }

    private static Map<String, Object> full(FilestoreConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "filestore");
        m.put("listen", c.listen().stream().map(HostPort::toString).toList());
        m.put("redundancy", c.redundancy());
        m.put("region", c.region());
        m.put("prefix", c.prefix());
        m.put("write_permit", c.writePermit().stream().map(Cidr::toString).toList());
        if (c.writeQuorum() != c.redundancy()) {
            m.put("write_quorum", c.writeQuorum()); // absent: every copy
        }
        Map<String, Object> pools = new LinkedHashMap<>();
        c.pools().forEach((host, p) -> {
            Map<String, Object> pool = new LinkedHashMap<>();
            pool.put("stage", p.stage());
            List<Object> stages = new ArrayList<>();
            p.stages().forEach((n, nodes) -> {
                Map<String, Object> st = new LinkedHashMap<>();
                st.put("stage", n);
                st.put("nodes", nodes);
                stages.add(st);
            });
            pool.put("stages", stages);
            pools.put(host, pool);
        });
        m.put("pools", pools);
        m.put("health", health(c.health()));
        Map<String, Object> timeouts = new LinkedHashMap<>();
        timeouts.put("connect", Durations.format(c.connectTimeout()));
        timeouts.put("response", Durations.format(c.responseTimeout()));
        timeouts.put("idle", Durations.format(c.idleTimeout()));
        m.put("timeouts", timeouts);
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("body", c.maxBodySize() == 0 ? 0 : Sizes.format(c.maxBodySize()));
        limits.put("connections", c.maxConnections());
        m.put("limits", limits);
        if (c.stateDir() != null) {
            m.put("state_dir", c.stateDir().toAbsolutePath().normalize().toString());
        }
        m.put("tombstone_ttl", Durations.format(c.tombstoneTtl()));
        Map<String, Object> handoff = new LinkedHashMap<>();
        handoff.put("interval", Durations.format(c.handoff().interval()));
        handoff.put("rate", c.handoff().rate());
        handoff.put("max_entries", c.handoff().maxEntries());
        m.put("handoff", handoff);
        m.put("force", c.force());
        m.put("backlog", c.backlog());
        if (c.cache() != null) {
            m.put("cache", ProxyCache.toYaml(c.cache()));
        }
        return m;
    }

    /** The short form ({@code none}, {@code tcp}, {@code http:/path}), or null when it cannot say everything. */
    private static String health(HealthCheckConfig h) {
        HealthCheckConfig shortForm = HealthCheckConfig.builder(h.type()).path(h.path()).build();
        if (!h.equals(shortForm)) {
            return null;
        }
        return h.type() == HealthCheckType.HTTP && !h.path().equals("/") ? "http:" + h.path() : h.type().toString();
    }
}
