package dev.portico.dns;

import dev.portico.core.config.Durations;
import dev.portico.core.net.HostPort;
import dev.portico.upstream.health.HealthCheckSection;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a {@link DnsConfig} as the {@code type: dns} section that {@link DnsServiceType} reads
 * back to an equal config. Service settings at their default are left out; every dynamic record
 * and resource is written with its addresses and whatever differs from a record's defaults; zone
 * files are written with the paths the config holds (absolute when they came from a config file).
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
        if (c.tcpMaxConnections() > 0) {
            m.put("tcp_max_connections", c.tcpMaxConnections());
        }
        if (c.cacheEntries() != DnsConfig.DEFAULT_CACHE_ENTRIES) {
            m.put("cache_entries", c.cacheEntries());
        }
        if (c.geoipDb() != null) {
            m.put("geoip_db", c.geoipDb().toString());
        }
        if (c.adminStateFile() != null) {
            m.put("admin_state_file", c.adminStateFile().toString());
        }
        if (!c.dynamic().isEmpty()) {
            Map<String, Object> dynamic = new LinkedHashMap<>();
            c.dynamic().forEach(d -> dynamic.put(d.name(), record(d)));
            m.put("dynamic", dynamic);
        }
        if (!c.resources().isEmpty()) {
            Map<String, Object> resources = new LinkedHashMap<>();
            c.resources().forEach(d -> resources.put(d.name(), record(d)));
            m.put("resources", resources);
        }
        if (c.lrrr() != null) {
            m.put("lrrr", LrrrSection.write(c.lrrr()));
        }
        if (!c.rrl().equals(RrlConfig.DEFAULTS)) {
            m.put("rrl", RrlSection.write(c.rrl()));
        }
        return m;
    }

    /** One dynamic record (or resource) as {@code DnsServiceType} reads it. */
    private static Map<String, Object> record(DynamicRecordSpec d) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ttl", d.ttlMax() == d.ttlMin() ? String.valueOf(d.ttlMax()) : d.ttlMax() + "/" + d.ttlMin());
        r.put("addresses", d.addresses().stream().map(AddressSpec::toString).toList());
        Object health = HealthCheckSection.write(d.health());
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
}
