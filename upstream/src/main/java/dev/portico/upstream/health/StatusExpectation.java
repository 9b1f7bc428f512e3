package dev.portico.upstream.health;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The HTTP status codes an HTTP check accepts, parsed from a comma-separated list of codes
 * ({@code 200}), ranges ({@code 200-299}) and classes ({@code 2xx}). Immutable.
 */
public final class StatusExpectation {

    /** 2xx and 3xx, HAProxy's default for {@code httpchk}. */
    public static final StatusExpectation DEFAULT = parse("2xx,3xx");

    private record Range(int low, int high) {
    }

    private final List<Range> ranges;
    private final String text;

    private StatusExpectation(List<Range> ranges, String text) {
        this.ranges = ranges;
        this.text = text;
    }

    /**
     * Parses an expectation.
     *
     * @param text for example {@code 200}, {@code 200-204,301}, {@code 2xx,3xx}
     * @return the expectation
     * @throws IllegalArgumentException if an item is malformed or outside 100-599
     */
    public static StatusExpectation parse(String text) {
        Objects.requireNonNull(text, "text");
        List<Range> ranges = new ArrayList<>();
        for (String raw : text.split(",", -1)) {
            String item = raw.strip().toLowerCase(java.util.Locale.ROOT);
            ranges.add(parseItem(item, text));
        }
        return new StatusExpectation(List.copyOf(ranges), text.strip());
    }

    private static Range parseItem(String item, String whole) {
        try {
            if (item.length() == 3 && item.endsWith("xx")) {
                int cls = Integer.parseInt(item.substring(0, 1));
                return checked(new Range(cls * 100, cls * 100 + 99), whole);
            }
            int dash = item.indexOf('-');
            if (dash > 0) {
                return checked(new Range(Integer.parseInt(item.substring(0, dash).strip()),
                        Integer.parseInt(item.substring(dash + 1).strip())), whole);
            }
            int code = Integer.parseInt(item);
            return checked(new Range(code, code), whole);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(bad(item, whole), e);
        }
    }

    private static Range checked(Range r, String whole) {
        if (r.low < 100 || r.high > 599 || r.low > r.high) {
            throw new IllegalArgumentException(bad(r.low + "-" + r.high, whole));
        }
        return r;
    }

    private static String bad(String item, String whole) {
        return "expected status: \"" + item + "\" in \"" + whole
                + "\" (expected: codes, ranges or classes within 100-599, e.g. 200,301-302,2xx)";
    }

    /**
     * Tests a status code.
     *
     * @param status the response status
     * @return {@code true} if accepted
     */
    public boolean matches(int status) {
        for (Range r : ranges) {
            if (status >= r.low && status <= r.high) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StatusExpectation other && other.ranges.equals(ranges);
    }

    @Override
    public int hashCode() {
        return ranges.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
