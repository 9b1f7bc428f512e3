package dev.portico.web.files;

import java.util.ArrayList;
import java.util.List;

/** Parses a {@code Range: bytes=…} header against a representation's length (RFC 9110 §14). */
public final class Ranges {

    /** Most ranges honoured in one request; more are answered with the whole representation. */
    public static final int MAX_RANGES = 16;

    /** One satisfiable range, both ends inclusive. */
    public record Range(long first, long last) {
        public long length() {
            return last - first + 1;
        }
    }

    /** The outcome: ignore the header (serve 200), unsatisfiable (416), or these ranges (206). */
    public sealed interface Result permits Ignore, Unsatisfiable, Satisfiable {
    }

    public record Ignore() implements Result {
    }

    public record Unsatisfiable() implements Result {
    }

    public record Satisfiable(List<Range> ranges) implements Result {
    }

    private Ranges() {
    }

    /**
     * Parses {@code header} for a representation of {@code length} bytes. Overlapping and
     * adjacent ranges are merged (the first of them keeps its place). A request whose ranges
     * could make the answer larger than the representation is answered whole, as nginx and
     * Apache do: more than {@link #MAX_RANGES} ranges, or ranges whose lengths add up past the
     * representation's. A request without a satisfiable range is still unsatisfiable.
     */
    public static Result parse(String header, long length) {
        if (header == null) {
            return new Ignore();
        }
        String h = header.trim();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
            return new Ignore();
        }
        String[] specs = h.substring(6).split(",");
        List<Range> out = new ArrayList<>();
        long total = 0;
        for (String raw : specs) {
            String spec = raw.trim();
            if (spec.isEmpty()) {
                continue;
            }
            int dash = spec.indexOf('-');
            if (dash < 0) {
                return new Ignore();
            }
            String a = spec.substring(0, dash).trim();
            String b = spec.substring(dash + 1).trim();
            Range r;
            try {
                if (a.isEmpty()) {
                    if (b.isEmpty()) {
                        return new Ignore();
                    }
                    long suffix = Long.parseLong(b);
                    if (suffix < 0) {
                        return new Ignore();
                    }
                    if (suffix == 0 || length == 0) {
                        continue;
                    }
                    r = new Range(Math.max(0, length - suffix), length - 1);
                } else {
                    long first = Long.parseLong(a);
                    long last = b.isEmpty() ? Long.MAX_VALUE : Long.parseLong(b);
                    if (first < 0 || last < first) {
                        return new Ignore();
                    }
                    if (first >= length) {
                        continue;
                    }
                    r = new Range(first, Math.min(last, length - 1));
                }
            } catch (NumberFormatException e) {
                return new Ignore();
            }
            total += r.length();
            out.add(r);
            if (out.size() > MAX_RANGES) {
                return new Ignore();
            }
        }
        if (out.isEmpty()) {
            return new Unsatisfiable();
        }
        if (total > length) {
            return new Ignore();
        }
        return new Satisfiable(merge(out));
    }

    /** Merges overlapping and adjacent ranges, keeping the order in which they first appear. */
    private static List<Range> merge(List<Range> ranges) {
        if (ranges.size() == 1) {
            return ranges;
        }
        List<Range> out = new ArrayList<>(ranges);
        boolean merged = true;
        while (merged) {
            merged = false;
            for (int i = 0; i < out.size() && !merged; i++) {
                for (int j = i + 1; j < out.size(); j++) {
                    Range x = out.get(i);
                    Range y = out.get(j);
                    if (x.first() <= y.last() + 1 && y.first() <= x.last() + 1) {
                        out.set(i, new Range(Math.min(x.first(), y.first()), Math.max(x.last(), y.last())));
                        out.remove(j);
                        merged = true;
                        break;
                    }
                }
            }
        }
        return out;
    }
}
