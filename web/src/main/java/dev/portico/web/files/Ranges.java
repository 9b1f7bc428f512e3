package dev.portico.web.files;

import java.util.ArrayList;
import java.util.List;

/** Parses a {@code Range: bytes=…} header against a representation's length (RFC 9110 §14). */
public final class Ranges {

    /** Most ranges honoured in one request; more are answered with the whole representation. */
    public static final int MAX_RANGES = 32;

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

    /** Parses {@code header} for a representation of {@code length} bytes. */
    public static Result parse(String header, long length) {
        if (header == null) {
            return new Ignore();
        }
        String h = header.trim();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
            return new Ignore();
        }
        String[] specs = h.substring(6).split(",");
        if (specs.length > MAX_RANGES) {
            return new Ignore();
        }
        List<Range> out = new ArrayList<>();
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
                    out.add(new Range(Math.max(0, length - suffix), length - 1));
                } else {
                    long first = Long.parseLong(a);
                    long last = b.isEmpty() ? length - 1 : Long.parseLong(b);
                    if (first < 0 || last < first) {
                        return new Ignore();
                    }
                    if (first >= length) {
                        continue;
                    }
                    out.add(new Range(first, Math.min(last, length - 1)));
                }
            } catch (NumberFormatException e) {
                return new Ignore();
            }
        }
        if (out.isEmpty()) {
            return new Unsatisfiable();
        }
        return new Satisfiable(out);
    }
}
