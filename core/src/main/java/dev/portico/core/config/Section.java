package dev.portico.core.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A typed view of one mapping in a config file. Each getter marks its key as known; a bad value
 * is reported to the shared {@link Problems} with its file:line:column and the getter returns the
 * default, so one pass finds every mistake. {@link #finish()} reports the keys nobody asked for,
 * with the nearest valid key as a suggestion.
 */
public final class Section {

    private final ConfigNode.MapNode node;
    private final String path;
    private final Problems problems;
    private final Set<String> known = new LinkedHashSet<>();

    private Section(ConfigNode.MapNode node, String path, Problems problems) {
        this.node = node;
        this.path = path;
        this.problems = problems;
    }

    /** A section over a node that must be a mapping; anything else is reported. */
    public static Section of(ConfigNode node, String path, Problems problems) {
        if (node instanceof ConfigNode.MapNode map) {
            return new Section(map, path, problems);
        }
        if (node instanceof ConfigNode.ScalarNode s && s.text() == null) {
            return new Section(new ConfigNode.MapNode(node.location(), Map.of(), Map.of()), path, problems);
        }
        problems.add(node.location(), "'" + path + "' must be a mapping, not " + node.kind());
        return new Section(new ConfigNode.MapNode(node.location(), Map.of(), Map.of()), path, problems);
    }

    /** The dotted path of this section, for messages. */
    public String path() {
        return path;
    }

    /**
     * A path this section names: {@code ~/} is the home directory, and a relative path is read
     * against the config file's directory (against the working directory when the config is not a
     * file), normalised.
     */
    public java.nio.file.Path file(String value) {
        if (value.equals("~") || value.startsWith("~/")) {
            return java.nio.file.Path.of(System.getProperty("user.home") + value.substring(1));
        }
        java.nio.file.Path p = java.nio.file.Path.of(value);
        if (p.isAbsolute()) {
            return p;
        }
        java.nio.file.Path file = java.nio.file.Path.of(location().file());
        if (java.nio.file.Files.isRegularFile(file)) {
            java.nio.file.Path parent = file.toAbsolutePath().getParent();
            return parent == null ? p : parent.resolve(p).normalize();
        }
        return p.toAbsolutePath().normalize();
    }

    public Location location() {
        return node.location();
    }

    public Problems problems() {
        return problems;
    }

    public boolean has(String key) {
        known.add(key);
        ConfigNode n = node.entries().get(key);
        return n != null && !(n instanceof ConfigNode.ScalarNode s && s.text() == null);
    }

    /** The keys in file order. */
    public Set<String> keys() {
        return node.entries().keySet();
    }

    /** The raw node for a key, if present. */
    public Optional<ConfigNode> node(String key) {
        known.add(key);
        return Optional.ofNullable(node.entries().get(key));
    }

    /** Where a key is, or where this section is when the key is absent. */
    public Location locate(String key) {
        return node.keyLocation(key);
    }

    /** Reports a problem with a key's value. */
    public void problem(String key, String message) {
        ConfigNode n = node.entries().get(key);
        problems.add(n != null ? n.location() : node.location(), message);
    }

    public String string(String key, String def) {
        return scalar(key, def, Function.identity());
    }

    /** A value that must be present. */
    public String requiredString(String key) {
        known.add(key);
        if (!has(key)) {
            problems.add(node.location(), "'" + path + "' needs '" + key + "'");
            return null;
        }
        return string(key, null);
    }

    public boolean bool(String key, boolean def) {
        return scalar(key, def, v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("'" + v + "' is not a boolean (use true/false or on/off)");
        });
    }

    public int integer(String key, int def, int min, int max) {
        return scalar(key, def, v -> {
            int n;
            try {
                n = Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + v + "' is not a whole number");
            }
            if (n < min || n > max) {
                throw new IllegalArgumentException(n + " is out of range (" + min + " to " + max + ")");
            }
            return n;
        });
    }

    public long size(String key, long def) {
        return scalar(key, def, Sizes::parse);
    }

    public Duration duration(String key, Duration def) {
        return scalar(key, def, Durations::parse);
    }

    /** One of a fixed set of words (case-insensitive), returned in lower case. */
    public String oneOf(String key, String def, Collection<String> allowed) {
        return scalar(key, def, v -> {
            String w = v.toLowerCase(Locale.ROOT);
            if (!allowed.contains(w)) {
                String hint = Suggest.nearest(w, allowed).map(s -> "; did you mean '" + s + "'?").orElse("");
                throw new IllegalArgumentException("'" + v + "' is not one of " + allowed + hint);
            }
            return w;
        });
    }

    /** A list of strings, written as a YAML list or as one comma-separated value. */
    public List<String> strings(String key, List<String> def) {
        known.add(key);
        ConfigNode n = node.entries().get(key);
        if (n == null || n instanceof ConfigNode.ScalarNode s && s.text() == null) {
            return def;
        }
        List<String> out = new ArrayList<>();
        if (n instanceof ConfigNode.ListNode list) {
            for (ConfigNode item : list.items()) {
                if (item instanceof ConfigNode.ScalarNode s && s.text() != null) {
                    out.add(s.text().trim());
                } else {
                    problems.add(item.location(), "'" + path + "." + key + "' items must be values, not " + item.kind());
                }
            }
        } else if (n instanceof ConfigNode.ScalarNode s) {
            for (String part : s.text().split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
        } else {
            problems.add(n.location(), "'" + path + "." + key + "' must be a list, not " + n.kind());
            return def;
        }
        return out;
    }

    /** A list of values each converted by {@code parse}; bad items are reported one by one. */
    public <T> List<T> list(String key, List<T> def, Function<String, T> parse) {
        known.add(key);
        ConfigNode n = node.entries().get(key);
        if (n == null || n instanceof ConfigNode.ScalarNode s && s.text() == null) {
            return def;
        }
        List<ConfigNode> items = n instanceof ConfigNode.ListNode l ? l.items() : List.of(n);
        List<T> out = new ArrayList<>();
        for (ConfigNode item : items) {
            if (!(item instanceof ConfigNode.ScalarNode s) || s.text() == null) {
                problems.add(item.location(), "'" + path + "." + key + "' items must be values, not " + item.kind());
                continue;
            }
            for (String part : s.text().split(",")) {
                if (part.isBlank()) {
                    continue;
                }
                try {
                    out.add(parse.apply(part.trim()));
                } catch (IllegalArgumentException e) {
                    problems.add(item.location(), "bad '" + path + "." + key + "': " + e.getMessage());
                }
            }
        }
        return out;
    }

    /** A nested mapping; absent means an empty section. */
    public Section section(String key) {
        known.add(key);
        ConfigNode n = node.entries().get(key);
        if (n == null) {
            return new Section(new ConfigNode.MapNode(node.keyLocation(key), Map.of(), Map.of()), path + "." + key, problems);
        }
        return of(n, path + "." + key, problems);
    }

    /** A mapping whose keys are free (names, extensions...), each value a scalar. */
    public Map<String, String> stringMap(String key) {
        Section s = section(key);
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String k : s.keys()) {
            String v = s.string(k, null);
            if (v != null) {
                out.put(k, v);
            }
        }
        return out;
    }

    /** Reports every key that no getter asked for, suggesting the nearest known key. */
    public void finish() {
        for (String key : node.entries().keySet()) {
            if (!known.contains(key)) {
                String hint = Suggest.nearest(key, known).map(s -> "; did you mean '" + s + "'?").orElse("");
                problems.add(node.keyLocation(key), "unknown key '" + key + "' in '" + path + "'" + hint);
            }
        }
    }

    private <T> T scalar(String key, T def, Function<String, T> parse) {
        known.add(key);
        ConfigNode n = node.entries().get(key);
        if (n == null) {
            return def;
        }
        if (!(n instanceof ConfigNode.ScalarNode s)) {
            problems.add(n.location(), "'" + path + "." + key + "' must be a value, not " + n.kind());
            return def;
        }
        if (s.text() == null) {
            return def;
        }
        try {
            return parse.apply(s.text());
        } catch (IllegalArgumentException e) {
            problems.add(n.location(), "bad '" + path + "." + key + "': " + e.getMessage());
            return def;
        }
    }
}
