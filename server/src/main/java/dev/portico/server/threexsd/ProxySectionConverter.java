package dev.portico.server.threexsd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts a {@code [3zsd]} section ({@code host = ttl,backend,backend...}) into a
 * {@code type: proxy} service: one pool per Host, {@code *} as the default pool, 3zsd's
 * transparent entry ({@code * = ttl,0.0.0.0:0}) as {@code transparent}, and {@code xcache_ttl}
 * from {@code [3wsd]} as the cache's default TTL.
 */
final class ProxySectionConverter {

    /** 3wsd's class default for {@code xcache_ttl}, in seconds. */
    static final long DEFAULT_XCACHE_TTL = 5;

    private final YamlOut out;

    ProxySectionConverter(YamlOut out) {
        this.out = out;
    }

    /** One parsed {@code host = ttl,backends} line. */
    private record Pool(String host, long ttl, List<String> backends, IniFile.Entry entry) {
    }

    /**
     * Writes the service.
     *
     * @param zsd        the [3zsd] section
     * @param xcacheTtl  the [3wsd] {@code xcache_ttl} entry, or null
     * @param listen     the address to listen on
     * @param listenNote a comment line about the listen address, or null
     */
    void write(IniFile.IniSection zsd, IniFile.Entry xcacheTtl, String listen, String listenNote) {
        out.line("  proxy:");
        out.line("    type: proxy");
        if (listenNote != null) {
            out.line("    # " + listenNote);
        }
        out.line("    listen: [" + YamlText.string(listen) + "]");

        List<Pool> pools = new ArrayList<>();
        Pool transparent = null;
        for (IniFile.Entry e : zsd.entries().values()) {
            Pool p = parse(e);
            if (p == null) {
                continue;
            }
            if (p.host().equals("*") && p.backends().equals(List.of("0.0.0.0:0"))) {
                transparent = p;
            } else if (p.backends().contains("0.0.0.0:0")) {
                out.note(e, "0.0.0.0:0 (resolve the Host) only works as the '*' entry's single backend; left out");
            } else if (p.backends().isEmpty()) {
                out.note(e, "no usable backend; left out");
            } else {
                pools.add(p);
            }
        }
        if (!pools.isEmpty()) {
            out.line("    # 3zsd chose a backend with -x on its command line: -x 0 round robin (written here),");
            out.line("    # -x 1 the client's /24 (scheduler: iphash), -x 2 the URL path (scheduler: urlhash).");
            out.line("    # It retried a backend marked down once its ttl had passed; Portico checks each backend");
            out.line("    # (health: tcp) and takes it back after 'rise' good checks.");
            out.line("    pools:");
            for (Pool p : pools) {
                out.line("      " + YamlText.string(p.host()) + ":  # ttl " + p.ttl() + " (" + out.where(p.entry().line()) + ")");
                out.line("        backends: " + YamlText.list(p.backends()));
                out.line("        scheduler: roundrobin");
                out.line("        health: tcp");
            }
        }
        if (transparent != null) {
            out.line("    # '* = " + YamlText.comment(transparent.entry().value()) + "' (" + out.where(transparent.entry().line())
                    + "): 3zsd resolved any other Host and connected to it on port 80,");
            out.line("    # for every destination. Portico does it only for destinations inside 'allow': list the networks");
            out.line("    # your sites live in (with an empty list every such request gets 403).");
            out.line("    transparent:");
            out.line("      ttl: " + transparent.ttl() + "s");
            out.line("      port: 80");
            out.line("      allow: []");
        }
        if (pools.isEmpty() && transparent == null) {
            out.line("    # [3zsd] had no usable 'host = ttl,backend,...' line; add at least one pool.");
            out.line("    pools: {}");
        }
        cache(xcacheTtl);
    }

    private void cache(IniFile.Entry xcacheTtl) {
        long ttl = DEFAULT_XCACHE_TTL;
        String why = "3zsd's default xcache_ttl";
        if (xcacheTtl != null) {
            try {
                ttl = Long.parseLong(xcacheTtl.value().strip());
                if (ttl < 0) {
                    throw new NumberFormatException();
                }
                why = "xcache_ttl = " + ttl + " from [3wsd] (" + out.where(xcacheTtl.line()) + ")";
            } catch (NumberFormatException e) {
                out.note(xcacheTtl, "not a number of seconds; the cache uses 3zsd's default of " + DEFAULT_XCACHE_TTL + " s");
            }
        }
        out.line("    cache:");
        out.line("      # 3zsd kept 1000 responses in memory, and with -l a second level on disk: set 'dir' (and");
        out.line("      # 'disk_size') for Portico's disk tier. Responses with Cache-Control or Expires follow those.");
        out.line("      memory_size: 64m");
        out.line("      default_ttl: {\"*\": " + ttl + "s}  # " + why);
    }

    /** Parses {@code ttl,item,item...}; notes and returns null when the ttl is not a number. */
    private Pool parse(IniFile.Entry e) {
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
        if (ttl < 0) {
            out.note(e, "not converted: expected 'HOST = ttl,backend,...' (example: example.com = 100,127.0.0.1:80)");
            return null;
        }
        List<String> backends = new ArrayList<>();
        for (String item : parts.subList(1, parts.size())) {
            try {
                backends.addAll(expand(item));
            } catch (IllegalArgumentException ex) {
                out.note(e, ex.getMessage() + "; left out");
            }
        }
        return new Pool(e.key(), ttl, dedupe(backends), e);
    }

    private static List<String> dedupe(List<String> items) {
        Map<String, Boolean> seen = new LinkedHashMap<>();
        items.forEach(i -> seen.put(i, Boolean.TRUE));
        return new ArrayList<>(seen.keySet());
    }

    /**
     * One backend item: {@code ip[:port]} or {@code a.b.c.X-Y[:port]}, port 80 when missing.
     *
     * @throws IllegalArgumentException naming the item when it is neither
     */
    static List<String> expand(String item) {
        String s = item.strip();
        String host = s;
        int port = 80;
        int colon = s.lastIndexOf(':');
        if (colon >= 0) {
            host = s.substring(0, colon);
            try {
                port = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException ex) {
                port = -1;
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("'" + item + "': the port must be a number from 0 to 65535");
            }
        }
        List<String> out = new ArrayList<>();
        for (String address : Ipv4Ranges.addresses(host)) {
            out.add(address + ":" + port);
        }
        return out;
    }
}
