package dev.portico.dns;

import dev.portico.core.config.ConfigException;
import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.Location;
import dev.portico.core.config.Section;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.lifecycle.ServiceType;
import dev.portico.core.net.HostPort;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckSection;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code type: dns} in the config file. Reads only its own section:
 *
 * <pre>
 * listen: [0.0.0.0:53]                       # UDP and TCP on each address
 * zones:                                     # origin: RFC 1035 master file (relative to the config file)
 *   example.test: zones/example.test.zone
 * edns_max_payload: 1232                     # largest UDP answer to EDNS clients
 * tcp_idle_timeout: 10s
 * tcp_max_connections: 0        # 0: derived from the descriptor limit
 * cache_entries: 100000                      # rendered static answers kept; 0 disables
 * dynamic:                                   # health-checked A/AAAA records
 *   www.example.test:
 *     ttl: 300/10                            # MAX/MIN (or one number for both)
 *     addresses: [10.0.0.1, 10.0.0.2 weight 3, "10.0.0.3:8080", {address: 10.0.0.4, weight: 2, port: 8081}]
 *     health: {type: tcp, port: 80, interval: 2s, rise: 2, fall: 3}   # or tcp, icmp, http:/path
 *     answers: 0                             # addresses per answer; 0 = every healthy one
 *     last_resort: [192.0.2.1]               # when every level of the chain is down
 *     geo: {CN: [10.0.2.1], "US/CA": [10.0.4.1]}   # by country, then continent (needs geoip_db)
 *     nets: {127.0.0.0/24: [10.0.5.1]}       # by client range, most specific first, before geo
 *     nets_file: nets.txt                    # more ranges, "CIDR addr[,addr...]" lines, re-read on change
 *   _www.example.test: {ttl: 60, addresses: [10.0.1.1], health: tcp}  # the first backup level
 * geoip_db: GeoLite2-Country.mmdb            # MaxMind DB for geo variants (relative to the config file)
 * admin_state_file: dns-overrides.state      # keeps force-up/force-down across restarts (relative to the config file)
 * resources:                                 # like dynamic records, but answered only where a zone
 *   prod_www:                                # file says: www 300 IN DYNA prod_www
 *     ttl: 300/10
 *     addresses: [10.0.0.1, 10.0.0.2]
 * lrrr:                                      # 3nsd's nearest-side answers, see {@link LrrrSection}
 *   side: left
 *   left: l.example.test
 *   right: r.example.test
 *   suffix: i.example.test
 *   names: [ga.i.example.test]
 * rrl:                                       # response rate limiting of UDP answers, see {@link RrlSection}
 *   ratelimit: 200                           # answers a second per client /24 (/64) and answer; 0 turns it off
 *   slip: 2
 *   exempt: [10.0.0.0/8]
 * </pre>
 */
public final class DnsServiceType implements ServiceType<DnsConfig> {

    @Override
    public String name() {
        return "dns";
    }

    /**
     * Reads a service's section.
     *
     * @return the config, or null when the section has problems (they are in its problem list)
     */
    @Override
    public DnsConfig parse(String serviceName, Section s) {
        int before = s.problems().list().size();
        DnsConfig.Builder b = DnsConfig.builder();
        s.string("type", "dns");
        if (!s.has("listen")) {
            s.problem("listen", "'" + s.path() + "' needs 'listen' (for example listen: [0.0.0.0:53])");
        }
        s.list("listen", List.of(), HostPort::parse).forEach(b::listen);
        if (!s.has("zones")) {
            s.problem("zones", "'" + s.path() + "' needs 'zones' (for example zones: {example.test: example.test.zone})");
        }
        Section zones = s.section("zones");
        Path base = baseDirectory(s);
        for (String origin : zones.keys()) {
            String file = zones.string(origin, null);
            if (file == null) {
                zones.problem(origin, "zone '" + origin + "' needs a file");
                continue;
            }
            try {
                b.zone(origin, base.resolve(file));
            } catch (IllegalArgumentException e) {
                zones.problem(origin, "bad zone '" + origin + "': " + e.getMessage());
            }
        }
        b.ednsMaxPayload(s.integer("edns_max_payload", DnsConfig.DEFAULT_EDNS_MAX_PAYLOAD, 512, 65_535));
        b.tcpIdleTimeout(s.duration("tcp_idle_timeout", DnsConfig.DEFAULT_TCP_IDLE_TIMEOUT));
        b.tcpMaxConnections(s.integer("tcp_max_connections", 0, 0, 10_000_000));
        b.cacheEntries(s.integer("cache_entries", DnsConfig.DEFAULT_CACHE_ENTRIES, 0, Integer.MAX_VALUE));
        String geoipDb = s.string("geoip_db", null);
        if (geoipDb != null && !geoipDb.isBlank()) {
            b.geoipDb(base.resolve(geoipDb.trim()));
        }
        String adminState = s.string("admin_state_file", null);
        if (adminState != null && !adminState.isBlank()) {
            b.adminStateFile(base.resolve(adminState.trim()));
        }
        Section dynamic = s.section("dynamic");
        for (String record : dynamic.keys()) {
            DynamicRecordSpec spec = readDynamic(record, dynamic.section(record), base);
            if (spec != null && !spec.variants().geo().isEmpty() && (geoipDb == null || geoipDb.isBlank())) {
                dynamic.section(record).problem("geo", "'" + dynamic.path() + "." + record
                        + ".geo' needs a GeoIP database: set 'geoip_db' in '" + s.path() + "'");
            }
            if (spec != null) {
                b.dynamic(spec);
            }
        }
        Section resources = s.section("resources");
        for (String resource : resources.keys()) {
            DynamicRecordSpec spec = readDynamic(resource, resources.section(resource), base);
            if (spec != null) {
                b.resource(spec);
            }
        }
        b.lrrr(LrrrSection.read(s));
        RrlConfig rrl = RrlSection.read(s);
        if (rrl != null) {
            b.rrl(rrl);
        }
        s.finish();
        if (s.problems().list().size() > before) {
            return null;
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            s.problems().add(s.location(), "service '" + serviceName + "': " + e.getMessage());
            return null;
        }
    }

    private static DynamicRecordSpec readDynamic(String name, Section r, Path base) {
        int before = r.problems().list().size();
        long[] ttl = ttl(r);
        List<AddressSpec> addresses = addresses(r);
        HealthCheckConfig health = HealthCheckSection.read(r, "health", HealthCheckConfig.parse("tcp"));
        int answers = r.integer("answers", 0, 0, 64);
        List<InetAddress> lastResort = r.list("last_resort", List.of(), IpLiteral::parse);
        ClientVariants variants = ClientVariantsSection.read(r, base);
        r.finish();
        if (r.problems().list().size() > before) {
            return null;
        }
        try {
            return new DynamicRecordSpec(name, ttl[0], ttl[1], addresses, health, answers, lastResort, variants);
        } catch (IllegalArgumentException e) {
            r.problems().add(r.location(), e.getMessage());
            return null;
        }
    }

    /** {@code ttl: 60} or {@code ttl: MAX/MIN}. */
    private static long[] ttl(Section r) {
        String text = r.string("ttl", "60").trim();
        String[] parts = text.split("/", -1);
        try {
            long max = Long.parseLong(parts[0].trim());
            long min = parts.length == 2 ? Long.parseLong(parts[1].trim()) : max;
            if (parts.length <= 2 && min >= 0 && max >= min) {
                return new long[] {max, min};
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        r.problem("ttl", "bad '" + r.path() + ".ttl': '" + text + "' is not SECONDS or MAX/MIN (MIN <= MAX)");
        return new long[] {60, 60};
    }

    private static List<AddressSpec> addresses(Section r) {
        List<AddressSpec> out = new ArrayList<>();
        ConfigNode node = r.node("addresses").orElse(null);
        if (!(node instanceof ConfigNode.ListNode list) || list.items().isEmpty()) {
            r.problem("addresses", "'" + r.path() + "' needs 'addresses', a list such as [10.0.0.1, 10.0.0.2 weight 3]");
            return out;
        }
        for (int i = 0; i < list.items().size(); i++) {
            ConfigNode item = list.items().get(i);
            String path = r.path() + ".addresses[" + i + "]";
            try {
                if (item instanceof ConfigNode.ScalarNode sc && sc.text() != null) {
                    out.add(AddressSpec.parse(sc.text()));
                } else if (item instanceof ConfigNode.MapNode) {
                    Section a = Section.of(item, path, r.problems());
                    String address = a.requiredString("address");
                    int weight = a.integer("weight", 1, AddressSpec.MIN_WEIGHT, AddressSpec.MAX_WEIGHT);
                    int port = a.integer("port", 0, 0, 65_535);
                    a.finish();
                    if (address != null) {
                        out.add(new AddressSpec(IpLiteral.parse(address), weight, port));
                    }
                } else {
                    r.problems().add(item.location(), "'" + path + "' must be ADDRESS[:PORT] [weight N] or {address, weight, port}");
                }
            } catch (IllegalArgumentException e) {
                r.problems().add(item.location(), "bad '" + path + "': " + e.getMessage());
            }
        }
        return out;
    }

    /** The directory of the config file, against which relative zone paths are resolved. */
    private static Path baseDirectory(Section s) {
        String file = s.location().file();
        if (file != null) {
            Path p = Path.of(file).toAbsolutePath();
            if (Files.isRegularFile(p) && p.getParent() != null) {
                return p.getParent();
            }
        }
        return Path.of("");
    }

    /** Reads every zone file to its end: a missing file is a problem at the service's entry, each error in a file one at its line. */
    @Override
    public List<ConfigException.Problem> checkFiles(String serviceName, DnsConfig config, Location where) {
        List<ConfigException.Problem> problems = new ArrayList<>();
        Map<String, Path> present = new LinkedHashMap<>();
        for (Map.Entry<String, Path> zone : config.zones().entrySet()) {
            if (Files.isRegularFile(zone.getValue())) {
                present.put(zone.getKey(), zone.getValue());
            } else {
                problems.add(new ConfigException.Problem(where, "zone '" + zone.getKey() + "' of service '" + serviceName
                        + "': " + zone.getValue() + ": " + (Files.exists(zone.getValue()) ? "not a file" : "no such file")));
            }
        }
        ZoneSet.check(present, config.dynaTargets()).forEach((origin, errors) -> {
            for (DynaZoneFile.ZoneError e : errors) {
                problems.add(new ConfigException.Problem(new Location(e.file(), e.line(), 0), e.message()));
            }
        });
        return problems;
    }

    @Override
    public Optional<Map<String, Object>> toYaml(DnsConfig config) {
        return Optional.of(DnsConfigYaml.write(config));
    }

    @Override
    public Service create(String serviceName, DnsConfig config, ServiceContext context) {
        return new DnsService(serviceName, config, context);
    }
}
