package dev.portico.proxy;

import dev.portico.core.config.Durations;
import dev.portico.core.config.Sizes;
import dev.portico.core.config.YamlWriter;
import dev.portico.core.net.Cidr;
import dev.portico.core.net.HostPort;
import dev.portico.core.tls.ClientTlsSection;
import dev.portico.core.tls.ClientTlsSettings;
import dev.portico.core.tls.TlsSettingsReader;
import dev.portico.core.transport.ListenSpec;
import dev.portico.proxy.cache.CacheConfig;
import dev.portico.upstream.health.HealthCheckConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a {@link ProxyConfig} as the {@code type: proxy} section that {@link ProxyServiceType}
 * reads back to an equal config. Settings at their default are left out, except {@code listen}
 * and {@code pools}.
 */
final class ProxyConfigYaml {

    private static final ProxyConfig DEFAULTS = ProxyConfig.builder().listen(HostPort.parse("127.0.0.1:1"))
            .pool("*", PoolSpec.of(HostPort.parse("127.0.0.1:1"))).build();

    private ProxyConfigYaml() {
    }

    /**
     * The section, or empty when a pool's health check has settings the file's short form cannot
     * hold, or a backend's TLS unsets a file its pool's TLS sets.
     */
    static Optional<Map<String, Object>> write(ProxyConfig c) {
        for (PoolSpec p : c.pools().values()) {
            if (health(p.health()) == null) {
                return Optional.empty();
            }
            try {
                p.backends().forEach(hp -> backend(p, hp));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        Map<String, Object> out = YamlWriter.withoutDefaults(full(c), full(DEFAULTS), List.of("type", "listen", "pools"));
        if (c.cache() != null) {
            out.put("cache", YamlWriter.withoutDefaults(cache(c.cache()), cache(CACHE_DEFAULTS), List.of()));
        }
        return Optional.of(out);
    }

    private static final CacheConfig CACHE_DEFAULTS = CacheConfig.builder().build();

    /** A {@code cache:} section without the settings at their default. */
    static Map<String, Object> cacheSection(CacheConfig c) {
        return YamlWriter.withoutDefaults(cache(c), cache(CACHE_DEFAULTS), List.of());
    }

    private static Map<String, Object> cache(CacheConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("memory_size", Sizes.format(c.memorySize()));
        if (c.dir() != null) {
            m.put("dir", c.dir().toAbsolutePath().normalize().toString());
        }
        m.put("disk_size", Sizes.format(c.diskSize()));
        m.put("max_object_size", Sizes.format(c.maxObjectSize()));
        Map<String, Object> ttl = new LinkedHashMap<>();
        c.defaultTtl().forEach(r -> ttl.put(r.glob(), Durations.format(r.ttl())));
        m.put("default_ttl", ttl);
        m.put("coalesce_timeout", Durations.format(c.coalesceTimeout()));
        m.put("stale_if_error", Durations.format(c.staleIfError()));
        m.put("stale_while_revalidate", Durations.format(c.staleWhileRevalidate()));
        if (c.heuristic() != null) {
            Map<String, Object> heuristic = new LinkedHashMap<>();
            heuristic.put("fraction", String.valueOf(c.heuristic().fraction()));
            heuristic.put("max", Durations.format(c.heuristic().max()));
            m.put("heuristic", heuristic);
        }
        return m;
    }

    private static Map<String, Object> full(ProxyConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "proxy");
        m.put("listen", c.listeners().stream().map(l -> listen(l, c.tls() != null)).toList());
        Map<String, Object> pools = new LinkedHashMap<>();
        c.pools().forEach((host, p) -> {
            Map<String, Object> pool = new LinkedHashMap<>();
            pool.put("backends", p.backends().stream().map(hp -> backend(p, hp)).toList());
            pool.put("scheduler", p.scheduler());
            pool.put("health", health(p.health()));
            if (p.tls() != null) {
                Map<String, Object> tls = ClientTlsSection.write(p.tls(), ClientTlsSettings.DEFAULTS);
                pool.put("tls", tls.isEmpty() ? (Object) true : tls);
            }
            pools.put(host, pool);
        });
        m.put("pools", pools);
        m.put("trusted_proxies", c.trustedProxies().stream().map(Cidr::toString).toList());
        Map<String, Object> timeouts = new LinkedHashMap<>();
        timeouts.put("connect", Durations.format(c.connectTimeout()));
        timeouts.put("first_byte", Durations.format(c.firstByteTimeout()));
        timeouts.put("idle", Durations.format(c.idleTimeout()));
        timeouts.put("send", Durations.format(c.sendTimeout()));
        m.put("timeouts", timeouts);
        m.put("http2", c.http2().toYaml());
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("request_headers", c.maxRequestHeaders());
        limits.put("response_headers", c.maxResponseHeaders());
        limits.put("body", Sizes.format(c.maxBodySize()));
        if (c.maxConnections() > 0) {
            limits.put("connections", c.maxConnections());
        }
        m.put("limits", limits);
        Map<String, Object> keepalive = new LinkedHashMap<>();
        keepalive.put("max_idle", c.keepAliveMax());
        keepalive.put("idle", Durations.format(c.keepAliveIdle()));
        m.put("keepalive", keepalive);
        m.put("retries", c.retries());
        m.put("retry_on", java.util.Arrays.stream(RetryCondition.values()).filter(c.retryOn()::contains)
                .map(RetryCondition::toString).toList());
        m.put("retry_buffer", Sizes.format(c.retryBuffer()));
        m.put("retry_budget", c.retryBudget());
        m.put("backlog", c.backlog());
        if (c.transparent() != null) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("ttl", Durations.format(c.transparent().ttl()));
            t.put("port", c.transparent().port());
            t.put("allow", c.transparent().allow().stream().map(Cidr::toString).toList());
            m.put("transparent", t);
        }
        if (c.tls() != null) {
            Map<String, Object> tls = new LinkedHashMap<>();
            if (c.clientCertHeader() != null) {
                tls.put("client_cert_header", c.clientCertHeader());
            }
            tls.putAll(TlsSettingsReader.write(c.tls()));
            if (c.acme() != null) {
                tls.put("acme", c.acme().toYaml());
            }
            m.put("tls", tls);
        }
        return m;
    }

    /** A string when the entry is what a string reads as (TLS with HTTP/2 on when 'tls' is set), else a mapping. */
    private static Object listen(ListenSpec l, boolean tlsSection) {
        boolean plainDefault = !tlsSection && !l.tls() && l.http2() == ListenSpec.Http2.OFF;
        boolean tlsDefault = tlsSection && l.tls() && l.http2() == ListenSpec.Http2.ON;
        if (plainDefault || tlsDefault) {
            return l.address().toString();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("address", l.address().toString());
        m.put("tls", l.tls() ? "on" : "off");
        m.put("http2", l.http2().name().toLowerCase(java.util.Locale.ROOT));
        return m;
    }

    /**
     * A backend as the reader takes it back: {@code host:port}, {@code https://host:port} (TLS with
     * the defaults in a plain pool), or {@code {address, tls}} with the settings that differ from
     * the pool's.
     */
    private static Object backend(PoolSpec p, HostPort hp) {
        ClientTlsSettings own = p.backendTls().get(hp);
        if (own == null) {
            return hp.toString();
        }
        if (p.tls() == null && own.equals(ClientTlsSettings.DEFAULTS)) {
            return "https://" + hp;
        }
        Map<String, Object> tls = ClientTlsSection.write(own, p.tls() != null ? p.tls() : ClientTlsSettings.DEFAULTS);
        if (tls.isEmpty()) {
            return hp.toString();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("address", hp.toString());
        m.put("tls", tls);
        return m;
    }

    /** The short form ({@code none}, {@code tcp}, {@code http:/path}), or null when it cannot say everything. */
    private static String health(HealthCheckConfig h) {
        HealthCheckConfig shortForm = HealthCheckConfig.builder(h.type()).path(h.path()).build();
        if (!h.equals(shortForm)) {
            return null;
        }
        return h.type().http() && !h.path().equals("/") ? h.type() + ":" + h.path() : h.type().toString();
    }
}
