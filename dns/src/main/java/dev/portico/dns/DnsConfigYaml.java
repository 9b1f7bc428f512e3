package dev.portico.dns;

import dev.portico.core.config.Durations;
import dev.portico.core.config.YamlWriter;
import dev.portico.core.net.HostPort;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link DnsConfig} as the {@code type: dns} section that {@link DnsServiceType} reads
 * back to an equal config. Service settings at their default are left out; every dynamic record
 * is written with its addresses and whatever differs from a record's defaults.
 */
final class DnsConfigYaml {

    private DnsConfigYaml() {
    }

    static Map<String, Object> write(DnsConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "dns");
        m.put("listen", c.listen().stream().map(HostPort::toString).toList());
        Map<String, Object> zones = new LinkedHashMap<>();
        c.zones().forEach((origin, file) -> zones.put(origin, file.toString()));
        m.put("zones", zones);
        if (c.ednsMaxPayload() != DnsConfig.DEFAULT_EDNS_MAX_PAYLOAD) {
            m.put("edns_max_payload", c.ednsMaxPayload());
        }
        if (!c.tcpIdleTimeout().equals(DnsConfig.DEFAULT_TCP_IDLE_TIMEOUT)) {
            m.put("tcp_idle_timeout", Durations.format(c.tcpIdleTimeout()));
        }
        if (c.cacheEntries() != DnsConfig.DEFAULT_CACHE_ENTRIES) {
            m.put("cache_entries", c.cacheEntries());
        }
        if (c.geoipDb() != null) {
            m.put("geoip_db", c.geoipDb().toString());
        }
        if (!c.dynamic().isEmpty()) {
            Map<String, Object> dynamic = new LinkedHashMap<>();
            c.dynamic().forEach(d -> dynamic.put(d.name(), record(d)));
            m.put("dynamic", dynamic);
        }
        return m;
    }

    private static Map<String, Object> record(DynamicRecordSpec d) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ttl", d.ttlMax() == d.ttlMin() ? String.valueOf(d.ttlMax()) : d.ttlMax() + "/" + d.ttlMin());
        r.put("addresses", d.addresses().stream().map(AddressSpec::toString).toList());
        Object health = health(d.health());
        if (!"tcp".equals(health)) {
            r.put("health", health);
        }
        if (d.answers() != 0) {
            r.put("answers", d.answers());
        }
        if (!d.lastResort().isEmpty()) {
            r.put("last_resort", d.lastResort().stream().map(InetAddress::getHostAddress).toList());
        }
        ClientVariantsSection.write(d.variants(), r);
        return r;
    }

    /** The short form ({@code tcp}, {@code http:/path}) when only the type and path differ from the defaults. */
    private static Object health(HealthCheckConfig h) {
        HealthCheckConfig shortForm = HealthCheckConfig.builder(h.type()).path(h.path()).build();
        if (h.equals(shortForm)) {
            return h.type() == HealthCheckType.HTTP && !h.path().equals("/") ? "http:" + h.path() : h.type().toString();
        }
        HealthCheckConfig d = HealthCheckConfig.builder(h.type()).build();
        Map<String, Object> full = fields(h);
        Map<String, Object> defaults = fields(d);
        return YamlWriter.withoutDefaults(full, defaults, List.of("type"));
    }

    private static Map<String, Object> fields(HealthCheckConfig h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", h.type().toString());
        m.put("path", h.path());
        m.put("expect", h.expect().toString());
        m.put("body_contains", h.bodyContains() == null ? "" : h.bodyContains());
        m.put("host_header", h.hostHeader() == null ? "" : h.hostHeader());
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
