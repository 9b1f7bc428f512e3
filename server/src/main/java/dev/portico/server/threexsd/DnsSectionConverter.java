package dev.portico.server.threexsd;

import dev.portico.core.config.Durations;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Converts a {@code [3nsd]} section into a {@code type: dns} service:
 * <ul>
 *   <li>{@code name = ttl,ip,ip...} (with {@code a.b.c.X-Y} ranges) becomes a dynamic record with
 *       that TTL, checked the way 3nsd probed: ICMP echo, re-checked every max(ttl, 10 s), 1 s
 *       timeout, one reply brings it up;</li>
 *   <li>{@code _name}, {@code __name}, ... stay as they are: Portico has the same failover chain;</li>
 *   <li>{@code name@CC/CONT = ttl,ip...} becomes the record's {@code geo} entry {@code "CC/CONT"},
 *       and {@code geoip_db} the service's {@code geoip_db};</li>
 *   <li>the LRRR keys ({@code left, right, range, range_suffix, lr_ttl, lr_prefix}) become
 *       {@code lrrr}, whose {@code names} are the entries under {@code range_suffix} whose first
 *       address is 3nsd's marker {@code 0.0.0.0}.</li>
 * </ul>
 * 3nsd needed no zone files; Portico serves names inside zones, so the service lists one zone per
 * domain the names fall under, with a comment showing the smallest file to write.
 */
final class DnsSectionConverter {

    /** 3nsd's probe loop period, the shortest re-check interval, in seconds. */
    static final long PROBE_INTERVAL = 10;
    /** The keys of LRRR. */
    static final List<String> LRRR_KEYS = List.of("left", "right", "range", "range_suffix", "lr_ttl", "lr_prefix");

    private final YamlOut out;

    DnsSectionConverter(YamlOut out) {
        this.out = out;
    }

    /** One {@code name = ttl,ip...} line. */
    private record Rec(String name, String geo, long ttl, List<String> addresses, boolean lrMarker, IniFile.Entry entry) {
    }

    /**
     * Writes the service.
     *
     * @param nsd        the [3nsd] section
     * @param listen     the address to listen on
     * @param listenNote a comment line about the listen address, or null
     */
    void write(IniFile.IniSection nsd, String listen, String listenNote) {
        Map<String, IniFile.Entry> e = new LinkedHashMap<>(nsd.entries());
        IniFile.Entry geoipDb = e.remove("geoip_db");
        Map<String, IniFile.Entry> lr = new LinkedHashMap<>();
        for (String k : LRRR_KEYS) {
            IniFile.Entry v = e.remove(k);
            if (v != null) {
                lr.put(k, v);
            }
        }
        List<Rec> records = new ArrayList<>();
        List<Rec> singleLabel = new ArrayList<>();
        for (IniFile.Entry entry : e.values()) {
            Rec r = parse(entry);
            if (r != null) {
                (r.name().indexOf('.') < 0 ? singleLabel : records).add(r);
            }
        }
        relativeNames(singleLabel, records);

        out.line("  dns:");
        out.line("    type: dns");
        if (listenNote != null) {
            out.line("    # " + listenNote);
        }
        out.line("    listen: [" + YamlText.string(listen) + "]");

        Map<String, Rec> plain = new LinkedHashMap<>();
        Map<String, List<Rec>> geo = new LinkedHashMap<>();
        for (Rec r : records) {
            if (r.geo() == null) {
                plain.put(r.name(), r);
            } else {
                geo.computeIfAbsent(r.name(), n -> new ArrayList<>()).add(r);
            }
        }
        Lrrr lrrr = lrrr(lr, plain);
        Set<String> names = new LinkedHashSet<>(plain.keySet());
        if (lrrr != null) {
            // A name one label under each LRRR zone, so that the zones cover the zone itself.
            names.add("x." + lrrr.left());
            names.add("x." + lrrr.right());
            names.add("x." + lrrr.suffix());
        }
        zones(names);
        if (geoipDb != null) {
            out.line("    geoip_db: " + YamlText.string(geoipDb.value()) + "  # " + out.where(geoipDb.line()));
        }

        List<String> dynamic = new ArrayList<>();
        for (Rec r : plain.values()) {
            if (lrrr != null && lrrr.names().contains(r.name())) {
                continue;
            }
            if (r.lrMarker()) {
                out.note(r.entry(), "0.0.0.0 marks an LRRR name, but the LRRR keys are not all set; left out");
                continue;
            }
            if (r.addresses().isEmpty()) {
                out.note(r.entry(), "no usable address; left out");
                continue;
            }
            dynamic.addAll(record(r, geo.remove(r.name()), geoipDb != null));
        }
        for (List<Rec> orphans : geo.values()) {
            for (Rec g : orphans) {
                out.note(g.entry(), "no plain '" + g.name() + " = ttl,ip,...' entry for this geo variant to belong to; "
                        + "not converted");
            }
        }
        if (!dynamic.isEmpty()) {
            out.line("    # 3nsd probed every address with ICMP echo (2 tries, 1 s each) once its TTL had passed, at");
            out.line("    # most every 10 s; Portico checks the same way (a TCP connect where ICMP is not allowed).");
            out.line("    # 3nsd's TTLs were fixed; 'ttl: MAX/MIN' lets Portico shorten them while health is changing.");
            out.line("    dynamic:");
            dynamic.forEach(out::line);
        }
        if (lrrr != null) {
            lrrr.lines().forEach(out::line);
        }
    }

    /** The lines of one dynamic record. */
    private List<String> record(Rec r, List<Rec> variants, boolean geoOn) {
        List<String> lines = new ArrayList<>();
        lines.add("      " + YamlText.string(r.name()) + ":  # " + out.where(r.entry().line()));
        lines.add("        ttl: " + r.ttl());
        lines.add("        addresses: " + YamlText.list(r.addresses()));
        long interval = Math.max(r.ttl(), PROBE_INTERVAL);
        lines.add("        health: {type: icmp, interval: " + Durations.format(Duration.ofSeconds(interval))
                + ", timeout: 1s, rise: 1, fall: 2}");
        if (variants != null) {
            String indent = geoOn ? "          " : "        #   ";
            lines.add(geoOn ? "        geo:" : "        # 3nsd used these variants only with geoip_db set:");
            if (!geoOn) {
                lines.add("        # geo:");
            }
            for (Rec v : variants) {
                String note = out.where(v.entry().line()) + (v.ttl() != r.ttl()
                        ? "; 3nsd answered it with TTL " + v.ttl() + ", Portico with the record's" : "");
                if (v.addresses().isEmpty()) {
                    lines.add("        # " + v.entry().key() + " (" + note + "): no usable address; left out");
                    continue;
                }
                lines.add(indent + YamlText.string(v.geo()) + ": " + YamlText.list(v.addresses()) + "  # " + note);
            }
        }
        return lines;
    }

    /**
     * Single-label names ({@code www = 60,10.0.0.1}) are taken relative to the zone the other
     * names fall under; with no other name, or names in several zones, nothing tells which zone
     * is meant, so they are noted and left out.
     */
    private void relativeNames(List<Rec> singleLabel, List<Rec> records) {
        if (singleLabel.isEmpty()) {
            return;
        }
        Set<String> full = new LinkedHashSet<>();
        records.forEach(r -> full.add(r.name()));
        Set<String> zones = zoneOrigins(full);
        for (Rec r : singleLabel) {
            if (zones.size() == 1) {
                String zone = zones.iterator().next();
                String name = r.name() + "." + zone;
                out.note(r.entry(), "a single label, taken relative to the zone " + zone + ": " + name);
                records.add(new Rec(name, r.geo(), r.ttl(), r.addresses(), r.lrMarker(), r.entry()));
            } else {
                out.note(r.entry(), "'" + r.name() + "' is a single label and "
                        + (zones.isEmpty() ? "no other name tells the zone it belongs to"
                        : "the other names fall under several zones (" + String.join(", ", zones) + ")")
                        + "; write the full name (example: " + r.name() + ".example.com = " + r.entry().value().strip()
                        + "); not converted");
            }
        }
    }

    /** One zone per domain the names fall under (their parents' longest common suffix per last two labels). */
    private static Set<String> zoneOrigins(Set<String> names) {
        Map<String, String> byDomain = new LinkedHashMap<>();
        for (String n : names) {
            String name = n.replaceFirst("^_+", "");
            String[] labels = name.split("\\.");
            String parent = labels.length >= 3 ? name.substring(name.indexOf('.') + 1) : name;
            String[] p = parent.split("\\.");
            String domain = p.length >= 2 ? p[p.length - 2] + "." + p[p.length - 1] : parent;
            byDomain.merge(domain, parent, DnsSectionConverter::commonSuffix);
        }
        return new TreeSet<>(byDomain.values());
    }

    /** Writes {@code zones:}, one per domain the names fall under. */
    private void zones(Set<String> names) {
        Set<String> origins = zoneOrigins(names);
        out.line("    # 3nsd answered its names without zone files; Portico serves names inside zones. Write each file");
        out.line("    # below (next to this config) with an SOA and the NS records, for example:");
        out.line("    #   @    3600 IN SOA ns1 hostmaster 1 3600 600 86400 60");
        out.line("    #   @    3600 IN NS  ns1");
        out.line("    #   ns1  3600 IN A   192.0.2.53        ; this server's public address");
        if (origins.isEmpty()) {
            out.line("    # [3nsd] had no usable 'name = ttl,ip,...' entry; list your zones here.");
            out.line("    zones: {}");
            return;
        }
        out.line("    zones:");
        for (String zone : origins) {
            out.line("      " + YamlText.string(zone) + ": " + YamlText.string(zone + ".zone"));
        }
    }

    private static String commonSuffix(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        int n = 0;
        while (n < x.length && n < y.length && x[x.length - 1 - n].equals(y[y.length - 1 - n])) {
            n++;
        }
        return String.join(".", java.util.Arrays.copyOfRange(x, x.length - n, x.length));
    }

    /** The converted LRRR settings. */
    private record Lrrr(String left, String right, String suffix, Set<String> names, List<String> lines) {
    }

    /** Converts the LRRR keys, or notes why they cannot be; null when there is nothing to write. */
    private Lrrr lrrr(Map<String, IniFile.Entry> lr, Map<String, Rec> plain) {
        if (lr.isEmpty()) {
            return null;
        }
        List<String> missing = new ArrayList<>();
        for (String k : List.of("left", "right", "range", "range_suffix")) {
            if (!lr.containsKey(k) || lr.get(k).value().isBlank()) {
                missing.add(k);
            }
        }
        String side = lr.containsKey("range") ? lr.get("range").value().strip().toLowerCase(Locale.ROOT) : "";
        if (missing.isEmpty() && !side.equals("left") && !side.equals("right")) {
            out.note(lr.get("range"), "range must be left or right (which side this server is)");
            missing.add("range");
        }
        String left = value(lr, "left");
        String right = value(lr, "right");
        String suffix = value(lr, "range_suffix");
        Set<String> names = new LinkedHashSet<>();
        List<Integer> sideTtls = new ArrayList<>();
        if (missing.isEmpty()) {
            for (Rec r : plain.values()) {
                if (r.lrMarker() && r.name().endsWith("." + suffix)) {
                    names.add(r.name());
                    String host = r.name().substring(0, r.name().length() - suffix.length() - 1);
                    for (String side2 : List.of(left, right)) {
                        Rec target = plain.get(host + "." + side2);
                        if (target != null) {
                            sideTtls.add((int) target.ttl());
                        }
                    }
                }
            }
            if (names.isEmpty()) {
                missing.add("an entry 'NAME." + suffix + " = ttl,0.0.0.0'");
            }
        }
        if (!missing.isEmpty()) {
            for (IniFile.Entry v : lr.values()) {
                out.note(v, "LRRR not converted: it needs " + String.join(", ", missing));
            }
            return null;
        }
        List<String> lines = new ArrayList<>();
        lines.add("    # 3nsd's LRRR (" + out.where(lr.get("range").line()) + "): the server at the other site gets the same");
        lines.add("    # section with the other 'side'; delegate " + left + " to the left server, " + right
                + " to the right one,");
        lines.add("    # and " + suffix + " to both. Portico compares the two measured times when it answers from");
        lines.add("    # what it remembers (3nsd's code sent the resolver to the answering server's own side).");
        lines.add("    lrrr:");
        lines.add("      side: " + side);
        lines.add("      left: " + YamlText.string(left));
        lines.add("      right: " + YamlText.string(right));
        lines.add("      suffix: " + YamlText.string(suffix));
        lines.add("      names: " + YamlText.list(names));
        IniFile.Entry prefix = lr.get("lr_prefix");
        if (prefix != null) {
            String p = prefix.value().strip().toLowerCase(Locale.ROOT);
            if (p.matches("[a-z0-9]{1,16}")) {
                lines.add("      prefix: " + YamlText.string(p));
            } else {
                out.note(prefix, "a prefix must be 1 to 16 letters or digits; Portico uses 'lr'");
            }
        }
        IniFile.Entry ttl = lr.get("lr_ttl");
        if (ttl != null) {
            try {
                long s = Long.parseLong(ttl.value().strip());
                if (s <= 0) {
                    throw new NumberFormatException();
                }
                lines.add("      rtt_ttl: " + Durations.format(Duration.ofSeconds(s)) + "  # lr_ttl = " + s);
            } catch (NumberFormatException ex) {
                out.note(ttl, "not a positive number of seconds; Portico keeps measured times 1h, as 3nsd's default");
            }
        }
        if (!sideTtls.isEmpty()) {
            int min = sideTtls.stream().mapToInt(Integer::intValue).min().orElseThrow();
            lines.add("      answer_ttl: " + min + "  # 3nsd gave the public CNAME the TTL of the side record it named");
        }
        return new Lrrr(left, right, suffix, names, lines);
    }

    private static String value(Map<String, IniFile.Entry> lr, String key) {
        IniFile.Entry e = lr.get(key);
        if (e == null) {
            return "";
        }
        String v = e.value().strip().toLowerCase(Locale.ROOT);
        return v.endsWith(".") ? v.substring(0, v.length() - 1) : v;
    }

    /** Parses {@code name[@codes] = ttl,ip,...}; notes and returns null when it is not that. */
    private Rec parse(IniFile.Entry e) {
        String key = e.key();
        String geo = null;
        int at = key.indexOf('@');
        if (at >= 0) {
            geo = key.substring(at + 1).strip().toUpperCase(Locale.ROOT);
            key = key.substring(0, at).strip();
            if (!geo.matches("[A-Z0-9]{2}(/[A-Z0-9]{2})*")) {
                out.note(e, "'" + geo + "' is not a list of continent or country codes such as AS/CN; not converted");
                return null;
            }
        }
        String name = key.endsWith(".") ? key.substring(0, key.length() - 1) : key;
        List<String> parts = new ArrayList<>();
        for (String part : e.value().split("[,\\n]")) {
            if (!part.isBlank()) {
                parts.add(part.strip());
            }
        }
        long ttl;
        try {
            ttl = parts.isEmpty() ? -1 : Long.parseLong(parts.getFirst());
        } catch (NumberFormatException ex) {
            ttl = -1;
        }
        if (ttl < 0 || ttl > 0x7fff_ffffL || !name.matches("[a-z0-9_-]+(\\.[a-z0-9_-]+)*")) {
            out.note(e, "not converted: expected 'NAME = ttl,ip,...', NAME a host name and ttl a number of seconds "
                    + "(example: www.example.com = 100,192.0.2.1)");
            return null;
        }
        List<String> addresses = new ArrayList<>();
        boolean marker = false;
        for (String item : parts.subList(1, parts.size())) {
            if (item.equals("0.0.0.0")) {
                marker |= addresses.isEmpty();
                continue;
            }
            try {
                for (String a : Ipv4Ranges.addresses(item)) {
                    if (!addresses.contains(a)) {
                        addresses.add(a);
                    }
                }
            } catch (IllegalArgumentException ex) {
                out.note(e, ex.getMessage() + "; left out");
            }
        }
        return new Rec(name, geo, ttl, addresses, marker, e);
    }
}
