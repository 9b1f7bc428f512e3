package dev.portico.dns;

import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;
import org.xbill.DNS.Zone;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The zones a service is authoritative for, loaded once from master files and never changed
 * afterwards; a reload builds a new set. Lookups find the closest enclosing zone of a name.
 */
final class ZoneSet {

    /**
     * One loaded zone, its names as the {@link ZoneTree} that lookups walk, the SOA record that
     * negative answers carry, and the names its file points at dynamic records or resources with
     * {@code DYNA} (see {@link DynaZoneFile}).
     */
    record LoadedZone(Zone zone, ZoneTree tree, SOARecord negativeSoa, Map<Name, DynaZoneFile.Ref> dyna) {

        Name origin() {
            return zone.getOrigin();
        }
    }

    private final Map<Name, LoadedZone> byOrigin;
    private final int maxLabels;

    private ZoneSet(Map<Name, LoadedZone> byOrigin) {
        this.byOrigin = Map.copyOf(byOrigin);
        this.maxLabels = byOrigin.keySet().stream().mapToInt(Name::labels).max().orElse(0);
    }

    /**
     * Parses every zone file.
     *
     * @param files origin to master file
     * @throws IOException naming the file and line of the first error
     */
    static ZoneSet load(Map<String, Path> files) throws IOException {
        return load(files, Set.of());
    }

    /**
     * Parses every zone file, with {@code DYNA} lines.
     *
     * @param files       origin to master file
     * @param dynaTargets what {@code DYNA} may point at: resource and dynamic record names
     * @throws IOException naming the file and line of the first error
     */
    static ZoneSet load(Map<String, Path> files, Set<String> dynaTargets) throws IOException {
        return load(files, dynaTargets, Set.of());
    }

    /**
     * Parses the zone files of a config: with {@code DYNA} lines, and with the config's dynamic
     * records as names of the zones they are in (so that the names above them exist).
     *
     * @throws IOException naming the file and line of the first error
     */
    static ZoneSet load(DnsConfig config) throws IOException {
        Set<Name> dynamic = new java.util.HashSet<>();
        config.dynamic().forEach(d -> dynamic.add(DnsNames.absolute(d.name())));
        return load(config.zones(), config.dynaTargets(), dynamic);
    }

    private static ZoneSet load(Map<String, Path> files, Set<String> dynaTargets, Set<Name> dynamic) throws IOException {
        Map<Name, LoadedZone> zones = new HashMap<>();
        for (Map.Entry<String, Path> e : files.entrySet()) {
            Name origin = DnsNames.absolute(e.getKey());
            Zone zone;
            Map<Name, DynaZoneFile.Ref> dyna = new HashMap<>();
            try {
                zone = DynaZoneFile.load(origin, e.getValue(), dynaTargets, dyna);
            } catch (IOException | RuntimeException ex) {
                throw new IOException("zone " + e.getKey() + " (" + e.getValue() + "): " + ex.getMessage(), ex);
            }
            List<Name> extra = new ArrayList<>(dyna.keySet());
            dynamic.stream().filter(n -> n.subdomain(origin)).forEach(extra::add);
            zones.put(origin, new LoadedZone(zone, ZoneTree.of(zone, extra), negativeSoa(zone.getSOA()),
                    Map.copyOf(dyna)));
        }
        return new ZoneSet(zones);
    }

    /**
     * Reads every zone file to its end, as {@code portico check} does, and reports every error.
     *
     * @param files       origin to master file
     * @param dynaTargets what {@code DYNA} may point at
     * @return origin to the errors of its file; only zones with errors are in it
     */
    static Map<String, List<DynaZoneFile.ZoneError>> check(Map<String, Path> files, Set<String> dynaTargets) {
        Map<String, List<DynaZoneFile.ZoneError>> errors = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, Path> e : files.entrySet()) {
            List<DynaZoneFile.ZoneError> found = DynaZoneFile.check(DnsNames.absolute(e.getKey()), e.getValue(), dynaTargets);
            if (!found.isEmpty()) {
                errors.put(e.getKey(), found);
            }
        }
        return errors;
    }

    /** The SOA with the TTL of negative answers: the smaller of its own TTL and its MINIMUM (RFC 2308). */
    private static SOARecord negativeSoa(SOARecord soa) {
        long ttl = Math.min(soa.getTTL(), soa.getMinimum());
        return new SOARecord(soa.getName(), DClass.IN, ttl, soa.getHost(), soa.getAdmin(), soa.getSerial(),
                soa.getRefresh(), soa.getRetry(), soa.getExpire(), soa.getMinimum());
    }

    /** The closest enclosing zone of {@code name}, or null when we are not authoritative for it. */
    LoadedZone find(Name name) {
        int labels = name.labels();
        for (int skip = Math.max(0, labels - maxLabels); skip < labels; skip++) {
            LoadedZone z = byOrigin.get(skip == 0 ? name : new Name(name, skip));
            if (z != null) {
                return z;
            }
        }
        return null;
    }

    /**
     * The zone that answers DS for {@code name}: the parent side of a zone cut (RFC 4035 §3.1.4.1),
     * so the zone above {@code name} when {@code name} is the origin of a zone we serve and we serve
     * its parent as well, with the delegation; otherwise the closest enclosing zone.
     */
    LoadedZone findForDs(Name name) {
        LoadedZone z = find(name);
        if (z != null && z.origin().equals(name) && name.labels() > 1) {
            LoadedZone parent = find(new Name(name, 1));
            return parent != null && parent.tree().exact(name, Type.NS) != null ? parent : z;
        }
        return z;
    }

    /** The origins, for logs. */
    List<String> origins() {
        return byOrigin.keySet().stream().map(Name::toString).sorted().toList();
    }
}
