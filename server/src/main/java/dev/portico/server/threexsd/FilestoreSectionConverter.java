package dev.portico.server.threexsd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Converts a {@code [3fsd]} section into a {@code type: filestore} service. 3fsd's keys
 * {@code redundancy}, {@code region}, {@code prefix}, {@code stage} and {@code write_permit} keep
 * their names; every other key is a pool by Host, {@code HOST = stage,node,node;stage,node...}
 * (the older single {@code pool = ...} becomes the {@code *} pool). Node ranges are written in
 * Portico's {@code a.b.c.X-Y:port} form, which expands to the same nodes; a stage's nodes need no
 * order, since both sort them as strings. 3fsd's single current {@code stage} becomes each pool's
 * {@code stage}. The layout is written as it was, even where Portico refuses it (a {@code region}
 * that skews placement): changing it would move the files, so {@code portico check} reports it
 * instead.
 */
final class FilestoreSectionConverter {

    /** Keys of the section that are settings, not pools. */
    static final Set<String> SETTINGS = Set.of("redundancy", "region", "prefix", "stage", "write_permit");

    private final YamlOut out;

    FilestoreSectionConverter(YamlOut out) {
        this.out = out;
    }

    /** One pool: its stages with their nodes, in Portico's notation, and how many nodes each has. */
    private record Pool(String host, TreeMap<Integer, List<String>> stages, IniFile.Entry entry) {
    }

    /**
     * Writes the service.
     *
     * @param fsd        the [3fsd] section
     * @param xcacheTtl  the [3wsd] {@code xcache_ttl} entry, or null
     * @param listen     the address to listen on
     * @param listenNote a comment line about the listen address, or null
     */
    void write(IniFile.IniSection fsd, IniFile.Entry xcacheTtl, String listen, String listenNote) {
        Map<String, IniFile.Entry> e = new LinkedHashMap<>(fsd.entries());
        out.line("  files:");
        out.line("    type: filestore");
        if (listenNote != null) {
            out.line("    # " + listenNote);
        }
        out.line("    listen: [" + YamlText.string(listen) + "]");
        out.line("    # The nodes must take PUT and DELETE from this router's address (a Portico web node:");
        out.line("    # webdav: {enabled: true, writers: [ROUTER/32]}; nginx: dav_methods PUT DELETE MKCOL).");

        int redundancy = number(e.remove("redundancy"), "redundancy", 2, "copies of each file");
        int region = number(e.remove("region"), "region", 256, "the placement space");
        if (region != 16 && region != 256 && region != 4096 && region != 65536) {
            out.line("    # region " + region + " skews placement (3fsd took any value); Portico takes 16, 256, 4096 or");
            out.line("    # 65536. It is kept as it was, since another value would place the files elsewhere:");
            out.line("    # 'portico check' refuses it. Copy the files into a new store with a valid region.");
        }
        out.line("    redundancy: " + redundancy);
        out.line("    region: " + region);
        IniFile.Entry prefix = e.remove("prefix");
        if (prefix != null && !prefix.value().isBlank()) {
            out.line("    prefix: " + YamlText.string(prefix.value().strip()));
        }
        writePermit(e.remove("write_permit"));
        out.line("    # 3fsd answered a write after the first copy and sent the others without waiting. Portico waits");
        out.line("    # for every copy by default; 'write_quorum: 1' is 3fsd's behaviour (an answer after one copy).");
        IniFile.Entry stageEntry = e.remove("stage");
        int current = 0;
        if (stageEntry != null) {
            try {
                current = Integer.parseInt(stageEntry.value().strip());
                if (current < 0) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException ex) {
                out.note(stageEntry, "not a stage number; each pool's highest stage is its current one");
                current = -1;
            }
        }
        List<Pool> pools = new ArrayList<>();
        for (IniFile.Entry entry : e.values()) {
            Pool p = pool(entry, redundancy, region);
            if (p != null) {
                pools.add(p);
            }
        }
        if (pools.isEmpty()) {
            out.line("    # [3fsd] had no usable 'HOST = stage,node,...;stage,node,...' line; add the nodes here.");
            out.line("    pools: {}");
        } else {
            out.line("    pools:");
            for (Pool p : pools) {
                out.line("      " + YamlText.string(p.host()) + ":  # " + out.where(p.entry().line())
                        + (p.entry().key().equals("pool") ? ", the older 'pool =' form: every Host" : ""));
                int stage = current;
                if (stage < 0 || !p.stages().containsKey(stage)) {
                    int highest = p.stages().lastKey();
                    if (stage >= 0) {
                        Integer below = p.stages().floorKey(stage);
                        highest = below != null ? below : highest;
                        out.line("        # 3fsd's stage " + stage + " has no nodes in this pool; its stage "
                                + highest + " takes the new files.");
                    }
                    stage = highest;
                }
                out.line("        stage: " + stage);
                out.line("        stages:");
                p.stages().forEach((n, nodes) -> out.line("          - {stage: " + n + ", nodes: " + YamlText.list(nodes)
                        + "}"));
            }
        }
        out.line("    health: tcp");
        cache(xcacheTtl);
    }

    private int number(IniFile.Entry entry, String key, int def, String what) {
        if (entry == null) {
            out.line("    # " + key + " was not set; Portico's default, " + def + ", is " + what + " from now on.");
            return def;
        }
        try {
            int v = Integer.parseInt(entry.value().strip());
            if (v < 1) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException ex) {
            out.note(entry, "not a positive number; Portico's default " + def + " is written instead");
            return def;
        }
    }

    private void writePermit(IniFile.Entry permit) {
        if (permit == null) {
            out.line("    # 3fsd had no write_permit: no address may write until one is listed here.");
            out.line("    write_permit: []");
            return;
        }
        List<String> cidrs = new ArrayList<>();
        for (String item : permit.value().split("[,\\n]")) {
            if (item.isBlank()) {
                continue;
            }
            try {
                cidrs.addAll(Ipv4Ranges.toCidrs(item));
            } catch (IllegalArgumentException ex) {
                out.note(permit, ex.getMessage() + "; left out");
            }
        }
        out.line("    # 3fsd dropped other writers' requests without an answer; Portico answers them 403.");
        out.line("    write_permit: " + YamlText.list(cidrs));
    }

    /** Parses {@code stage,node,...;stage,node,...}; notes and returns null when nothing is usable. */
    private Pool pool(IniFile.Entry entry, int redundancy, int region) {
        TreeMap<Integer, List<String>> stages = new TreeMap<>();
        for (String group : entry.value().split(";")) {
            if (group.isBlank()) {
                continue;
            }
            List<String> parts = new ArrayList<>();
            for (String part : group.split("[,\\n]")) {
                if (!part.isBlank()) {
                    parts.add(part.strip());
                }
            }
            int stage;
            try {
                stage = Integer.parseInt(parts.getFirst());
                if (stage < 0) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException ex) {
                out.note(entry, "'" + group.strip() + "' does not start with a stage number "
                        + "(expected 'HOST = stage,node,...;stage,node,...'); left out");
                continue;
            }
            List<String> nodes = new ArrayList<>();
            int count = 0;
            for (String item : parts.subList(1, parts.size())) {
                try {
                    count += ProxySectionConverter.expand(item).size();
                    nodes.add(node(item));
                } catch (IllegalArgumentException ex) {
                    out.note(entry, ex.getMessage() + "; left out");
                }
            }
            if (nodes.isEmpty()) {
                out.note(entry, "stage " + stage + " has no usable node; left out");
                continue;
            }
            if (stages.containsKey(stage)) {
                out.note(entry, "stage " + stage + " is listed twice; its second list is left out");
                continue;
            }
            if (count < redundancy || count > region) {
                out.note(entry, "stage " + stage + " has " + count + " nodes, " + (count < redundancy
                        ? "fewer than redundancy " + redundancy : "more than region " + region)
                        + ": 3fsd could not place files there as documented, and 'portico check' refuses it");
            }
            stages.put(stage, nodes);
        }
        if (stages.isEmpty()) {
            return null;
        }
        String host = entry.key().equals("pool") ? "*" : entry.key().toLowerCase(Locale.ROOT);
        return new Pool(host, stages, entry);
    }

    /** A node item in Portico's notation: {@code ip:port} or {@code a.b.c.X-Y:port}, port 80 when missing. */
    private static String node(String item) {
        String s = item.strip();
        int colon = s.lastIndexOf(':');
        return colon >= 0 ? s.substring(0, colon).strip() + ":" + s.substring(colon + 1).strip() : s + ":80";
    }

    private void cache(IniFile.Entry xcacheTtl) {
        long ttl = ProxySectionConverter.DEFAULT_XCACHE_TTL;
        String why = "3zsd's default xcache_ttl";
        if (xcacheTtl != null) {
            try {
                ttl = Long.parseLong(xcacheTtl.value().strip());
                if (ttl < 0) {
                    throw new NumberFormatException();
                }
                why = "xcache_ttl = " + ttl + " from [3wsd] (" + out.where(xcacheTtl.line()) + ")";
            } catch (NumberFormatException e) {
                why = "3zsd's default xcache_ttl (the [3wsd] value is not a number of seconds)";
            }
        }
        out.line("    cache:");
        out.line("      # 3fsd cached reads as 3zsd did. A write through this router purges the file's URLs; other");
        out.line("      # routers keep theirs until default_ttl ends.");
        out.line("      memory_size: 64m");
        out.line("      default_ttl: {\"*\": " + ttl + "s}  # " + why);
    }
}
