package dev.portico.server.threexsd;

import dev.portico.core.config.Durations;
import dev.portico.core.config.Sizes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Converts a 3xsd.conf into a Portico YAML config: {@code [3wsd]} into a {@code type: web}
 * service, {@code [3nsd]} into a {@code type: dns} service (see {@link DnsSectionConverter}) and
 * {@code [3zsd]} into a {@code type: proxy} service (see {@link ProxySectionConverter}) and
 * {@code [3fsd]} into a {@code type: filestore} service (see {@link FilestoreSectionConverter}) and
 * {@code [3wdd]} into a {@code type: tunnel} service (see {@link TunnelSectionConverter}). Whatever has no Portico equivalent is kept as a comment that says
 * why, with its line in the old file. Sizes are converted from 3xsd's decimal suffixes
 * (k = 1000) to plain byte counts, since Portico's suffixes are binary (k = 1024).
 *
 * <p>Web keys written: {@code listen}, {@code root}, {@code index}, {@code mime_types},
 * {@code webdav} ({@code enabled}, {@code writers}), {@code gzip} ({@code enabled},
 * {@code min_size}, {@code max_size}, {@code types}) and {@code expires}.
 */
public final class ThreeXsdImporter {

    /** 3xsd's gzip type list before {@code gzip_types} edits it. */
    static final List<String> DEFAULT_GZIP_TYPES = List.of("html", "htm", "js", "css", "txt", "xml");

    /** 3xsd's default port ({@code -p}). */
    static final String DEFAULT_LISTEN = "0.0.0.0:8000";

    private final String source;
    private final String listen;

    /**
     * @param source the old file's name, for comments
     * @param listen the listen address to write, or null for 3xsd's default port 8000
     */
    public ThreeXsdImporter(String source, String listen) {
        this.source = source;
        this.listen = listen;
    }

    /** The sections this importer converts, in the order their services are written. */
    static final List<String> CONVERTED = List.of("3wsd", "3nsd", "3zsd", "3fsd", "3wdd");

    /** 3wdd's port. */
    static final String DEFAULT_TUNNEL_LISTEN = "0.0.0.0:9000";

    /** 3nsd's default port. */
    static final String DEFAULT_DNS_LISTEN = "0.0.0.0:53";

    /**
     * Converts INI text to YAML.
     *
     * @throws IllegalArgumentException when the text is not INI or has none of the sections
     *                                  this importer converts
     */
    public String convert(String iniText) {
        IniFile ini = IniFile.parse(iniText);
        Optional<IniFile.IniSection> web = ini.section("3wsd");
        Optional<IniFile.IniSection> nsd = ini.section("3nsd");
        Optional<IniFile.IniSection> zsd = ini.section("3zsd");
        Optional<IniFile.IniSection> fsd = ini.section("3fsd");
        Optional<IniFile.IniSection> wdd = ini.section("3wdd");
        if (web.isEmpty() && nsd.isEmpty() && zsd.isEmpty() && fsd.isEmpty() && wdd.isEmpty()) {
            throw new IllegalArgumentException(source + " has no section that import-3xsd converts ("
                    + CONVERTED.stream().map(n -> "[" + n + "]").collect(Collectors.joining(", ")) + "; found: "
                    + ini.sections().stream().map(s -> "[" + s.name() + "]").toList() + ")");
        }
        List<String> names = ini.sections().stream().map(IniFile.IniSection::name).filter(CONVERTED::contains)
                .map(n -> "[" + n + "]").toList();
        Out out = new Out();
        out.line("# Portico config converted from " + YamlText.comment(source) + " " + String.join(" and ", names)
                + " by 'portico import-3xsd'.");
        out.line("# Check it with 'portico check -c FILE', run it with 'portico serve -c FILE'.");
        out.line("# workers: one event loop per core by default, like 3xsd -m; set 'workers: N' for 3xsd -k N.");
        out.line("admin:");
        out.line("  listen: 127.0.0.1:9090");
        out.line("services:");
        String portNote = "3xsd took its port from the command line (-p, default 8000); change this to match.";
        web.ifPresent(w -> webService(out, w, zsd.isPresent(), portNote));
        nsd.ifPresent(n -> {
            boolean alone = web.isEmpty() && zsd.isEmpty() && listen != null;
            new DnsSectionConverter(out.yaml).write(n, alone ? listen : DEFAULT_DNS_LISTEN, alone ? null
                    : "3xsd ran 3nsd as its own process (-i) on port 53 unless -p said otherwise; set its address here.");
        });
        zsd.ifPresent(z -> {
            String at;
            String note;
            if (web.isPresent()) {
                at = "0.0.0.0:8001";
                note = "3xsd ran 3zsd as its own process (-z) with its own -p; set its port here.";
            } else {
                at = listen != null ? listen : DEFAULT_LISTEN;
                note = listen != null ? null : portNote;
            }
            new ProxySectionConverter(out.yaml).write(z, web.map(w -> w.entries().get("xcache_ttl")).orElse(null), at, note);
        });
        fsd.ifPresent(f -> {
            boolean alone = web.isEmpty() && zsd.isEmpty();
            String at = alone ? (listen != null ? listen : DEFAULT_LISTEN) : "0.0.0.0:8002";
            String note = alone ? (listen != null ? null : portNote)
                    : "3xsd ran 3fsd as its own process with its own -p; set its port here.";
            new FilestoreSectionConverter(out.yaml).write(f, web.map(w -> w.entries().get("xcache_ttl")).orElse(null),
                    at, note);
        });
        wdd.ifPresent(w -> {
            boolean alone = web.isEmpty() && nsd.isEmpty() && zsd.isEmpty() && fsd.isEmpty() && listen != null;
            new TunnelSectionConverter(out.yaml).write(w, alone ? listen : DEFAULT_TUNNEL_LISTEN, alone ? null
                    : "3wdd listened on UDT port 9000 in its own process; this is QUIC over UDP: set its address here.");
        });
        for (IniFile.IniSection s : ini.sections()) {
            if (!CONVERTED.contains(s.name())) {
                out.line("# [" + YamlText.comment(s.name()) + "] (" + source + " line " + s.line()
                        + "): not converted; import-3xsd reads " + String.join(", ",
                        CONVERTED.stream().map(n -> "[" + n + "]").toList()) + ".");
            }
        }
        return out.toString();
    }

    private void webService(Out out, IniFile.IniSection web, boolean proxyToo, String portNote) {
        out.line("  web:");
        out.line("    type: web");
        if (listen == null) {
            out.line("    # " + portNote);
        }
        out.line("    listen: " + YamlText.string(listen != null ? listen : DEFAULT_LISTEN));

        Map<String, IniFile.Entry> e = new LinkedHashMap<>(web.entries());
        root(out, e.remove("root"));
        index(out, e.remove("index"));
        mimeTypes(out, e.remove("mime_types"));
        writers(out, e.remove("writers"));
        gzip(out, e.remove("gzip"), e.remove("gzip_size"), e.remove("gzip_max_size"), e.remove("gzip_types"));
        expires(out, e.remove("expire_types"));
        IniFile.Entry ttl = e.remove("xcache_ttl");
        if (ttl != null) {
            out.note(ttl, proxyToo ? "the proxy's cache default_ttl below; the web server needs no TTL: it keeps "
                    + "open files and headers cached and revalidates them when the file changes"
                    : "no direct equivalent: Portico keeps open files and headers cached and revalidates them "
                    + "when the file changes, so there is no fixed TTL to set");
        }
        IniFile.Entry pipelining = e.remove("server_pipelining");
        if (pipelining != null) {
            out.note(pipelining, "not needed: Portico always answers pipelined HTTP/1.1 requests, in order");
        }
        for (IniFile.Entry other : e.values()) {
            out.note(other, "not converted: import-3xsd does not know this [3wsd] key");
        }
    }

    private void root(Out out, IniFile.Entry root) {
        if (root == null || root.value().isBlank()) {
            out.line("    # 3xsd served its working directory (-d) when root was empty; set the real path here.");
            out.line("    root: .");
        } else {
            out.line("    root: " + YamlText.string(root.value()));
        }
    }

    private void index(Out out, IniFile.Entry index) {
        if (index == null) {
            out.line("    index: [index.html, index.htm]");
            return;
        }
        out.line("    index: " + YamlText.list(items(index.value())));
    }

    private void mimeTypes(Out out, IniFile.Entry mime) {
        if (mime == null) {
            return;
        }
        List<String> lines = new ArrayList<>();
        for (String pair : items(mime.value())) {
            int colon = pair.indexOf(':');
            if (colon <= 0 || colon == pair.length() - 1) {
                out.note(mime, "the pair '" + pair + "' is not ext:type and was left out");
                continue;
            }
            lines.add("      " + YamlText.string(pair.substring(0, colon).strip().toLowerCase(Locale.ROOT)) + ": "
                    + YamlText.string(pair.substring(colon + 1).strip()));
        }
        if (!lines.isEmpty()) {
            out.line("    mime_types:");
            lines.forEach(out::line);
        }
    }

    private void writers(Out out, IniFile.Entry writers) {
        if (writers == null) {
            return;
        }
        List<String> cidrs = new ArrayList<>();
        for (String item : items(writers.value())) {
            try {
                cidrs.addAll(Ipv4Ranges.toCidrs(item));
            } catch (IllegalArgumentException ex) {
                out.note(writers, ex.getMessage() + "; left out");
            }
        }
        if (cidrs.isEmpty()) {
            return;
        }
        out.line("    webdav:");
        out.line("      # 3xsd accepted PUT and DELETE from 'writers' (" + YamlText.comment(writers.value()) + ").");
        out.line("      enabled: true");
        out.line("      writers: " + YamlText.list(cidrs));
    }

    private void gzip(Out out, IniFile.Entry gzip, IniFile.Entry min, IniFile.Entry max, IniFile.Entry types) {
        if (gzip == null && min == null && max == null && types == null) {
            return;
        }
        out.line("    gzip:");
        boolean on = false;
        if (gzip != null) {
            String v = gzip.value().strip().toLowerCase(Locale.ROOT);
            on = v.equals("on") || v.equals("true") || v.equals("yes") || v.equals("1");
        } else {
            out.line("      # 3xsd had gzip off unless 'gzip = on'.");
        }
        out.line("      enabled: " + on);
        if (min != null) {
            size(out, min, "min_size", 1, "3xsd compressed files larger than gzip_size, Portico from min_size up");
        }
        if (max != null) {
            size(out, max, "max_size", 0, "the largest file compressed");
        }
        if (types != null) {
            Set<String> list = new LinkedHashSet<>(DEFAULT_GZIP_TYPES);
            for (String t : items(types.value())) {
                String ext = t.toLowerCase(Locale.ROOT);
                if (ext.startsWith("-")) {
                    list.remove(ext.substring(1).strip());
                } else {
                    list.add(ext);
                }
            }
            out.line("      # gzip_types = " + YamlText.comment(types.value()) + " edited 3xsd's default "
                    + String.join(",", DEFAULT_GZIP_TYPES) + "; this is the resulting list.");
            out.line("      types: " + YamlText.list(list));
        }
    }

    private void size(Out out, IniFile.Entry e, String key, long add, String meaning) {
        long bytes;
        try {
            bytes = decimalSize(e.value()) + add;
        } catch (IllegalArgumentException ex) {
            out.note(e, ex.getMessage() + "; left out");
            return;
        }
        // A binary suffix only where it reads well (1k, 64m); otherwise the exact byte count.
        String suffixed = Sizes.format(bytes);
        String written = suffixed.length() <= 5 && !suffixed.equals(Long.toString(bytes)) ? suffixed : Long.toString(bytes);
        out.line("      " + key + ": " + written + "  # " + e.key() + " = " + YamlText.comment(e.value())
                + " (3xsd sizes are decimal: " + (bytes - add) + " bytes); " + meaning);
    }

    private void expires(Out out, IniFile.Entry expire) {
        if (expire == null) {
            return;
        }
        List<String> lines = new ArrayList<>();
        for (String pair : items(expire.value())) {
            int colon = pair.indexOf(':');
            if (colon <= 0) {
                out.note(expire, "the pair '" + pair + "' is not ext:duration and was left out");
                continue;
            }
            try {
                String d = Durations.format(Durations.parse(pair.substring(colon + 1)));
                lines.add("      " + YamlText.string(pair.substring(0, colon).strip().toLowerCase(Locale.ROOT)) + ": " + d);
            } catch (IllegalArgumentException ex) {
                out.note(expire, ex.getMessage() + "; left out");
            }
        }
        if (!lines.isEmpty()) {
            out.line("    # Cache-Control max-age and Expires by extension (3xsd expire_types).");
            out.line("    expires:");
            lines.forEach(out::line);
        }
    }

    /**
     * A 3xsd size: a number with an optional decimal suffix k, m or g (k = 1000).
     *
     * @throws IllegalArgumentException when it is not one
     */
    static long decimalSize(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        long factor = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'k' -> factor = 1_000L;
                case 'm' -> factor = 1_000_000L;
                case 'g' -> factor = 1_000_000_000L;
                default -> {
                }
            }
        }
        String n = factor == 1 ? s : s.substring(0, s.length() - 1).strip();
        try {
            double v = Double.parseDouble(n);
            if (v < 0 || Double.isNaN(v) || Double.isInfinite(v) || !n.matches("[0-9.]+")) {
                throw new NumberFormatException();
            }
            return Math.round(v * factor);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a 3xsd size (examples: 1000, 1k, 100m)");
        }
    }

    private static List<String> items(String value) {
        List<String> out = new ArrayList<>();
        for (String part : value.split("[,\\n]")) {
            if (!part.isBlank()) {
                out.add(part.strip());
            }
        }
        return out;
    }

    /** The YAML being written; a thin view over {@link YamlOut} for the [3wsd] methods. */
    private final class Out {
        private final YamlOut yaml = new YamlOut(source);

        void line(String s) {
            yaml.line(s);
        }

        void note(IniFile.Entry e, String why) {
            yaml.note(e, why);
        }

        @Override
        public String toString() {
            return yaml.toString();
        }
    }
}
