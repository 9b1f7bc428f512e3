package dev.portico.server.threexsd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A Python ConfigParser style INI file as 3xsd reads it: {@code [section]} headers,
 * {@code key = value} or {@code key: value} lines, {@code #} and {@code ;} comment lines, and
 * option names folded to lower case. Inline comments after whitespace are dropped.
 */
public final class IniFile {

    /** One option with the line it was on. */
    public record Entry(String key, String value, int line) {
    }

    /** One section with its options in file order. */
    public record IniSection(String name, int line, Map<String, Entry> entries) {
    }

    private final Map<String, IniSection> sections;

    private IniFile(Map<String, IniSection> sections) {
        this.sections = sections;
    }

    /**
     * Parses INI text.
     *
     * @throws IllegalArgumentException naming the line of anything that is not a header, an
     *                                  option or a comment
     */
    public static IniFile parse(String text) {
        Map<String, IniSection> sections = new LinkedHashMap<>();
        IniSection current = null;
        Entry last = null;
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            int lineNo = i + 1;
            String raw = lines.get(i);
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (Character.isWhitespace(raw.charAt(0)) && last != null && current != null) {
                // ConfigParser continuation line: appended to the previous value.
                Entry joined = new Entry(last.key(), last.value() + "\n" + stripComment(line), last.line());
                current.entries().put(last.key(), joined);
                last = joined;
                continue;
            }
            if (line.startsWith("[")) {
                int end = line.indexOf(']');
                if (end < 0) {
                    throw new IllegalArgumentException("line " + lineNo + ": section header without ']'");
                }
                String name = line.substring(1, end).strip();
                current = sections.computeIfAbsent(name, n -> new IniSection(n, lineNo, new LinkedHashMap<>()));
                last = null;
                continue;
            }
            int eq = firstSeparator(line);
            if (eq <= 0) {
                throw new IllegalArgumentException("line " + lineNo + ": expected 'key = value', got '" + line + "'");
            }
            if (current == null) {
                throw new IllegalArgumentException("line " + lineNo + ": option before the first [section]");
            }
            String key = line.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            String value = stripComment(line.substring(eq + 1).strip());
            last = new Entry(key, value, lineNo);
            current.entries().put(key, last);
        }
        return new IniFile(sections);
    }

    public Optional<IniSection> section(String name) {
        return Optional.ofNullable(sections.get(name));
    }

    public List<IniSection> sections() {
        return new ArrayList<>(sections.values());
    }

    private static int firstSeparator(String line) {
        int eq = line.indexOf('=');
        int colon = line.indexOf(':');
        if (eq < 0) {
            return colon;
        }
        if (colon < 0) {
            return eq;
        }
        return Math.min(eq, colon);
    }

    private static String stripComment(String value) {
        for (int i = 1; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c == '#' || c == ';') && Character.isWhitespace(value.charAt(i - 1))) {
                return value.substring(0, i).strip();
            }
        }
        return value;
    }
}
