package dev.portico.proxy.cache;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The directives of one or more Cache-Control header values (RFC 9111 §5.2), names lower-cased.
 * Quoted values are unquoted; a directive given twice keeps its first value.
 */
public final class CacheControl {

    private static final CacheControl EMPTY = new CacheControl(Map.of());

    private final Map<String, String> directives;

    private CacheControl(Map<String, String> directives) {
        this.directives = directives;
    }

    /** Parses every value of the header (null or empty: no directives). */
    public static CacheControl parse(List<String> values) {
        if (values == null || values.isEmpty()) {
            return EMPTY;
        }
        Map<String, String> out = new HashMap<>();
        for (String v : values) {
            parseInto(v, out);
        }
        return new CacheControl(out);
    }

    /**
     * The directives of a targeted field such as CDN-Cache-Control (RFC 9213 §2.2: a Structured
     * Fields Dictionary), or null when the field is absent, empty or does not parse, in which case
     * the cache behaves as if it were not there.
     */
    public static CacheControl targeted(List<String> values) {
        if (values == null || values.isEmpty()) {
            return null;
        }
        boolean any = false;
        for (String v : values) {
            if (!dictionary(v)) {
                return null;
            }
            any |= !v.isBlank();
        }
        return any ? parse(values) : null;
    }

    /**
     * True when a value reads as a Structured Fields Dictionary (RFC 8941 §3.2) of bare items:
     * lower-case keys, values that are tokens, numbers or quoted strings, no parameters.
     */
    static boolean dictionary(String v) {
        int i = 0;
        int n = v.length();
        boolean expectMember = true;
        while (i < n) {
            char c = v.charAt(i);
            if (c == ' ' || c == '\t') {
                i++;
                continue;
            }
            if (!expectMember) {
                if (c != ',') {
                    return false;
                }
                expectMember = true;
                i++;
                continue;
            }
            if (!(c >= 'a' && c <= 'z') && c != '*') {
                return false;
            }
            while (i < n && keyChar(v.charAt(i))) {
                i++;
            }
            if (i < n && v.charAt(i) == '=') {
                i++;
                if (i < n && v.charAt(i) == '"') {
                    i++;
                    while (i < n && v.charAt(i) != '"') {
                        char q = v.charAt(i);
                        if (q == '\\') {
                            i++;
                            if (i >= n || (v.charAt(i) != '"' && v.charAt(i) != '\\')) {
                                return false;
                            }
                        } else if (q < 0x20 || q > 0x7e) {
                            return false;
                        }
                        i++;
                    }
                    if (i >= n) {
                        return false;
                    }
                    i++;
                } else {
                    int start = i;
                    while (i < n && itemChar(v.charAt(i))) {
                        i++;
                    }
                    if (i == start) {
                        return false;
                    }
                }
            }
            expectMember = false;
        }
        return true;
    }

    private static boolean keyChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '*';
    }

    /** A character of a token, integer, decimal or boolean item. */
    private static boolean itemChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~:/?".indexOf(c) >= 0;
    }

    /** Parses one header value. */
    public static CacheControl parse(String value) {
        return value == null ? EMPTY : parse(List.of(value));
    }

    private static void parseInto(String v, Map<String, String> out) {
        int i = 0;
        int n = v.length();
        while (i < n) {
            while (i < n && (v.charAt(i) == ',' || v.charAt(i) == ' ' || v.charAt(i) == '\t')) {
                i++;
            }
            int start = i;
            while (i < n && v.charAt(i) != '=' && v.charAt(i) != ',') {
                i++;
            }
            String name = v.substring(start, i).strip().toLowerCase(Locale.ROOT);
            String value = "";
            if (i < n && v.charAt(i) == '=') {
                i++;
                if (i < n && v.charAt(i) == '"') {
                    StringBuilder sb = new StringBuilder();
                    i++;
                    while (i < n && v.charAt(i) != '"') {
                        if (v.charAt(i) == '\\' && i + 1 < n) {
                            i++;
                        }
                        sb.append(v.charAt(i++));
                    }
                    i++;
                    value = sb.toString();
                    while (i < n && v.charAt(i) != ',') {
                        i++;
                    }
                } else {
                    int vs = i;
                    while (i < n && v.charAt(i) != ',') {
                        i++;
                    }
                    value = v.substring(vs, i).strip();
                }
            }
            if (!name.isEmpty()) {
                out.putIfAbsent(name, value);
            }
        }
    }

    /** True when the directive is present (with or without a value). */
    public boolean has(String name) {
        return directives.containsKey(name);
    }

    /**
     * A delta-seconds value, or -1 when absent. A value that is not a number counts as 0 (the
     * safe reading); very large values are capped at about 68 years.
     */
    public long seconds(String name) {
        String v = directives.get(name);
        if (v == null) {
            return -1;
        }
        if (v.isEmpty()) {
            return 0;
        }
        long n = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                return 0;
            }
            n = Math.min(n * 10 + (c - '0'), Integer.MAX_VALUE);
        }
        return n;
    }

    /** True when no directive is present. */
    public boolean isEmpty() {
        return directives.isEmpty();
    }
}
