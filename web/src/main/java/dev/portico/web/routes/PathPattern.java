package dev.portico.web.routes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A route path: literal segments, {@code {name}} for one segment and, last only,
 * {@code {name...}} for the rest of the path (at least one segment, joined with '/'). A
 * one-segment parameter never matches an empty segment. Matching
 * works on decoded segments, so a parameter may hold any character, '/' included.
 */
final class PathPattern {

    private final String text;
    private final List<String> literals = new ArrayList<>();
    private final List<String> params = new ArrayList<>();
    private final String tail;

    private PathPattern(String text, String tail) {
        this.text = text;
        this.tail = tail;
    }

    static PathPattern parse(String pattern) {
        if (!pattern.startsWith("/")) {
            throw new IllegalArgumentException("route path must start with '/': " + pattern);
        }
        String[] parts = pattern.substring(1).split("/", -1);
        String tail = null;
        List<String> lits = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (p.startsWith("{") && p.endsWith("}")) {
                String name = p.substring(1, p.length() - 1);
                if (name.endsWith("...")) {
                    if (i != parts.length - 1) {
                        throw new IllegalArgumentException("{" + name + "} must be the last segment: " + pattern);
                    }
                    tail = checkName(name.substring(0, name.length() - 3), pattern);
                    break;
                }
                lits.add(null);
                names.add(checkName(name, pattern));
            } else {
                if (p.indexOf('{') >= 0 || p.indexOf('}') >= 0) {
                    throw new IllegalArgumentException("a parameter must be a whole segment: " + pattern);
                }
                lits.add(p);
                names.add(null);
            }
        }
        PathPattern pp = new PathPattern(pattern, tail);
        pp.literals.addAll(lits);
        pp.params.addAll(names);
        return pp;
    }

    private static String checkName(String name, String pattern) {
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("bad parameter name '" + name + "' in " + pattern);
        }
        return name;
    }

    /** True when the pattern has no parameters. */
    boolean isExact() {
        return tail == null && !params.stream().anyMatch(p -> p != null);
    }

    /** The decoded segments an exact pattern matches. */
    List<String> exactSegments() {
        return List.copyOf(literals);
    }

    /** Parameter values when the segments match, else null. */
    Map<String, String> match(List<String> segments) {
        int n = literals.size();
        if (tail == null ? segments.size() != n : segments.size() <= n) {
            return null;
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String lit = literals.get(i);
            if (lit != null) {
                if (!lit.equals(segments.get(i))) {
                    return null;
                }
            } else if (segments.get(i).isEmpty()) {
                return null; // a parameter is never empty
            } else {
                values.put(params.get(i), segments.get(i));
            }
        }
        if (tail != null) {
            values.put(tail, String.join("/", segments.subList(n, segments.size())));
        }
        return values;
    }

    @Override
    public String toString() {
        return text;
    }
}
