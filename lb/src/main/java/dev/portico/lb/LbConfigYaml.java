package dev.portico.lb;

import dev.portico.core.config.Durations;
import dev.portico.core.tls.TlsSettingsReader;
import dev.portico.core.config.YamlWriter;
import dev.portico.core.net.HostPort;
import dev.portico.upstream.AdminState;
import dev.portico.upstream.health.HealthCheckConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes an {@link LbConfig} as the {@code type: lb} section that {@link LbServiceType} reads
 * back to an equal config. Settings at their default are left out, except {@code listen},
 * {@code groups} and {@code active_group}.
 */
final class LbConfigYaml {

    private static final LbConfig DEFAULTS = LbConfig.builder().listen("127.0.0.1:1").backend("127.0.0.1:1").build();

    private LbConfigYaml() {
    }

    static Map<String, Object> write(LbConfig c) {
        return YamlWriter.withoutDefaults(full(c), full(DEFAULTS), List.of("type", "listen", "groups", "active_group"));
    }

    private static Map<String, Object> full(LbConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "lb");
        m.put("listen", c.listen().stream().map(HostPort::toString).toList());
        Map<String, Object> groups = new LinkedHashMap<>();
        c.groups().forEach((name, hosts) -> {
            List<Object> list = new ArrayList<>();
            for (LbConfig.BackendSpec h : hosts) {
                if (h.weight() == 1 && h.state() == AdminState.ENABLED) {
                    list.add(h.address().toString());
                } else {
                    Map<String, Object> host = new LinkedHashMap<>();
                    host.put("address", h.address().toString());
                    if (h.weight() != 1) {
                        host.put("weight", h.weight());
                    }
                    if (h.state() != AdminState.ENABLED) {
                        host.put("state", h.state().name().toLowerCase(Locale.ROOT));
                    }
                    list.add(host);
                }
            }
            groups.put(name, list);
        });
        m.put("groups", groups);
        m.put("active_group", c.activeGroup());
        m.put("scheduler", c.scheduler());
        m.put("health", health(c.health()));
        m.put("retries", c.retries() == LbConfig.RETRY_EVERY_HOST ? "all" : c.retries());
        Map<String, Object> timeouts = new LinkedHashMap<>();
        timeouts.put("connect", Durations.format(c.connectTimeout()));
        timeouts.put("idle", Durations.format(c.idleTimeout()));
        timeouts.put("client_hello", Durations.format(c.clientHelloTimeout()));
        m.put("timeouts", timeouts);
        Map<String, Object> limits = new LinkedHashMap<>();
        if (c.maxConnections() > 0) {
            limits.put("connections", c.maxConnections());
        }
        limits.put("per_backend", c.maxPerBackend());
        m.put("limits", limits);
        m.put("proxy_protocol", c.proxyProtocol().toString());
        m.put("backlog", c.backlog());
        m.put("splice", c.splice().toString());
        m.put("sni_routes", new LinkedHashMap<>(c.sniRoutes()));
        m.put("sni_fallback", c.sniFallback().toString());
        m.put("tls", c.tls() == null ? null : TlsSettingsReader.write(c.tls()));
        return m;
    }

    /** The short form ({@code tcp}, {@code http:/path}) when only the type and path differ from the defaults. */
    private static Object health(HealthCheckConfig h) {
        HealthCheckConfig shortForm = HealthCheckConfig.builder(h.type()).path(h.path()).build();
        if (h.equals(shortForm)) {
            return h.type().http() && !h.path().equals("/") ? h.type() + ":" + h.path() : h.type().toString();
        }
        Map<String, Object> full = new LinkedHashMap<>();
        full.put("type", h.type().toString());
        full.put("path", h.path());
        full.put("expect", h.expect().toString());
        full.put("body_contains", h.bodyContains());
        full.put("host_header", h.hostHeader());
        full.put("port", h.port());
        full.put("interval", Durations.format(h.interval()));
        full.put("timeout", Durations.format(h.timeout()));
        full.put("rise", h.rise());
        full.put("fall", h.fall());
        full.put("down_interval", Durations.format(h.downInterval()));
        full.put("all_down_interval", Durations.format(h.allDownInterval()));
        Map<String, Object> defaults = new LinkedHashMap<>(full);
        HealthCheckConfig d = HealthCheckConfig.builder(h.type()).build();
        defaults.put("path", d.path());
        defaults.put("expect", d.expect().toString());
        defaults.put("body_contains", "");
        defaults.put("host_header", "");
        defaults.put("port", 0);
        defaults.put("interval", Durations.format(d.interval()));
        defaults.put("timeout", Durations.format(d.timeout()));
        defaults.put("rise", d.rise());
        defaults.put("fall", d.fall());
        defaults.put("down_interval", Durations.format(d.downInterval()));
        defaults.put("all_down_interval", Durations.format(d.allDownInterval()));
        return YamlWriter.withoutDefaults(full, defaults, List.of("type"));
    }
}
