package dev.portico.upstream.health;

import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.Durations;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlWriter;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a {@code health:} value: the quick form ({@code tcp}, {@code icmp}, {@code http:/path}, {@code https:/path}) or
 * a mapping with {@code type, port, path, interval, timeout, rise, fall, down_interval,
 * all_down_interval, expect, body_contains, host_header}. Shared by every service type that
 * health-checks backends (lb, dns, proxy), so the key means the same everywhere.
 */
public final class HealthCheckSection {

    private HealthCheckSection() {
    }

    /** The check, or {@code def} when absent; problems go to the section's list. */
    public static HealthCheckConfig read(Section s, String key, HealthCheckConfig def) {
        ConfigNode node = s.node(key).orElse(null);
        if (node == null || node instanceof ConfigNode.ScalarNode n && n.text() == null) {
            return def;
        }
        if (node instanceof ConfigNode.ScalarNode scalar) {
            try {
                return HealthCheckConfig.parse(scalar.text());
            } catch (IllegalArgumentException e) {
                s.problem(key, "bad '" + s.path() + "." + key + "': " + e.getMessage());
                return def;
            }
        }
        Section h = s.section(key);
        HealthCheckType type = HealthCheckType.parse(h.oneOf("type", "tcp", List.of("none", "tcp", "http", "https", "icmp")));
        String path = h.string("path", def.path());
        Duration interval = h.duration("interval", def.interval());
        Duration timeout = h.duration("timeout", def.timeout());
        int rise = h.integer("rise", def.rise(), 1, 1000);
        int fall = h.integer("fall", def.fall(), 1, 1000);
        Duration downInterval = h.duration("down_interval", def.downInterval());
        Duration allDownInterval = h.duration("all_down_interval", def.allDownInterval());
        int port = h.integer("port", 0, 0, 65_535);
        String body = h.string("body_contains", "");
        String hostHeader = h.string("host_header", "");
        String expect = h.string("expect", null);
        h.finish();
        try {
            HealthCheckConfig.Builder b = HealthCheckConfig.builder(type).path(path).interval(interval)
                    .timeout(timeout).rise(rise).fall(fall).downInterval(downInterval)
                    .allDownInterval(allDownInterval).port(port).bodyContains(body).hostHeader(hostHeader);
            if (expect != null) {
                b.expect(expect);
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            s.problem(key, "bad '" + s.path() + "." + key + "': " + e.getMessage());
            return def;
        }
    }

    /**
     * Writes a check back in the form {@link #read} reads: the quick form ({@code tcp},
     * {@code http:/path}) when nothing else differs from the type's defaults, otherwise a mapping
     * of the settings that differ.
     *
     * @param h the check
     * @return a string or an insertion-ordered map
     */
    public static Object write(HealthCheckConfig h) {
        HealthCheckConfig quick = HealthCheckConfig.builder(h.type()).path(h.path()).build();
        if (h.equals(quick)) {
            return h.type().http() && !h.path().equals("/") ? h.type() + ":" + h.path() : h.type().toString();
        }
        return YamlWriter.withoutDefaults(settings(h), settings(HealthCheckConfig.builder(h.type()).build()),
                List.of("type"));
    }

    private static Map<String, Object> settings(HealthCheckConfig h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", h.type().toString());
        m.put("path", h.path());
        m.put("expect", h.expect().toString());
        m.put("body_contains", h.bodyContains());
        m.put("host_header", h.hostHeader());
        m.put("port", h.port());
        m.put("interval", Durations.format(h.interval()));
        m.put("timeout", Durations.format(h.timeout()));
        m.put("rise", h.rise());
        m.put("fall", h.fall());
        m.put("down_interval", Durations.format(h.downInterval()));
        m.put("all_down_interval", Durations.format(h.allDownInterval()));
        return m;
    }
}
