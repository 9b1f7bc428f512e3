package dev.portico.server.threexsd;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** Writes YAML scalars: plain when that reads back as the same string, double-quoted otherwise. */
public final class YamlText {

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./@][A-Za-z0-9_./@:+\\-]*");
    private static final Set<String> RESERVED = Set.of("true", "false", "yes", "no", "on", "off", "null", "y", "n", "~");

    private YamlText() {
    }

    /** A string value that YAML reads back as exactly this string. */
    public static String string(String s) {
        if (PLAIN.matcher(s).matches() && !RESERVED.contains(s.toLowerCase(Locale.ROOT)) && !looksNumeric(s)
                && !s.endsWith(":")) {
            return s;
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /** A flow list such as {@code [a, b]}. */
    public static String list(Iterable<String> items) {
        StringBuilder b = new StringBuilder("[");
        for (String s : items) {
            if (b.length() > 1) {
                b.append(", ");
            }
            b.append(string(s));
        }
        return b.append(']').toString();
    }

    /** Text for a {@code #} comment, kept on one line. */
    public static String comment(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    private static boolean looksNumeric(String s) {
        return s.matches("[-+]?(\\d[\\d_]*)?(\\.\\d*)?([eE][-+]?\\d+)?") || s.matches("0[xXoO][0-9A-Fa-f]+")
                || s.matches("\\d+(:\\d+)+");
    }
}
