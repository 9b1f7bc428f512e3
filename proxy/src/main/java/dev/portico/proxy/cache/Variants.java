package dev.portico.proxy.cache;

import io.netty.handler.codec.http.HttpHeaders;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The stored variants of one URL, newest first: one per combination of the request values its
 * Vary names selected and the body's Content-Encoding. Immutable.
 *
 * @param entries the variants, newest first
 */
public record Variants(List<CachedResponse> entries) {

    /** At most this many variants are kept per URL; the oldest goes first. */
    public static final int MAX = 8;

    public Variants {
        entries = List.copyOf(entries);
    }

    /**
     * The variant the request may be given, or null: the newest one whose Vary selection matches
     * and whose encoding the client takes, an encoded one before an identity one.
     */
    public CachedResponse select(HttpHeaders request) {
        CachedResponse identity = null;
        List<String> accept = null;
        for (CachedResponse e : entries) {
            if (!varyMatches(e, request)) {
                continue;
            }
            if (e.encoding().isEmpty()) {
                if (identity == null) {
                    identity = e;
                }
                continue;
            }
            if (accept == null) {
                accept = request.getAll("Accept-Encoding");
            }
            if (acceptable(e.encoding(), accept)) {
                return e;
            }
        }
        return identity;
    }

    /** These variants with {@code e} added in front, replacing the variant with the same selection and encoding. */
    public Variants with(CachedResponse e) {
        List<CachedResponse> out = new ArrayList<>(entries.size() + 1);
        out.add(e);
        for (CachedResponse old : entries) {
            if (out.size() < MAX && !(old.vary().equals(e.vary()) && old.encoding().equals(e.encoding()))) {
                out.add(old);
            }
        }
        return new Variants(out);
    }

    /** These variants with {@code old} replaced by {@code updated} (same place), or unchanged when old is gone. */
    public Variants replace(CachedResponse old, CachedResponse updated) {
        List<CachedResponse> out = new ArrayList<>(entries);
        for (int i = 0; i < out.size(); i++) {
            CachedResponse e = out.get(i);
            if (e.vary().equals(old.vary()) && e.encoding().equals(old.encoding())) {
                out.set(i, updated);
                return new Variants(out);
            }
        }
        return this;
    }

    /** Bytes held, for the weigher. */
    public int weight() {
        long w = 32;
        for (CachedResponse e : entries) {
            w += e.weight();
        }
        return (int) Math.min(Integer.MAX_VALUE, w);
    }

    /** The id of a variant inside its URL on the disk tier: a hash of its selection and encoding. */
    public static String variantId(CachedResponse e) {
        long h = 1125899906842597L;
        for (String s : e.vary()) {
            h = mix(h, s);
        }
        h = mix(h, "\u0000" + e.encoding());
        return Long.toHexString(h);
    }

    private static long mix(long h, String s) {
        for (int i = 0; i < s.length(); i++) {
            h = 31 * h + s.charAt(i);
        }
        return (h ^ (h >>> 29)) * 0xbf58476d1ce4e5b9L + 0x1f;
    }

    /** The request values for a response's Vary names (lower-case name, normalised value, alternating). */
    public static List<String> varyValues(List<String> varyHeaderValues, HttpHeaders request) {
        List<String> out = new ArrayList<>();
        for (String v : varyHeaderValues) {
            for (String name : v.split(",")) {
                String n = name.strip().toLowerCase(Locale.ROOT);
                if (!n.isEmpty() && !out.contains(n)) {
                    out.add(n);
                    out.add(normalise(request.getAll(n)));
                }
            }
        }
        return out;
    }

    /**
     * True when the request's values for each Vary name normalise to the stored ones. A field
     * sent once (or not at all), the usual case on every hit, is compared in place, building
     * nothing; one sent several times is joined first, as when it was stored.
     */
    private static boolean varyMatches(CachedResponse e, HttpHeaders request) {
        List<String> vary = e.vary();
        for (int i = 0; i < vary.size(); i += 2) {
            String want = vary.get(i + 1);
            Iterator<? extends CharSequence> values = request.valueCharSequenceIterator(e.varyName(i / 2));
            if (!values.hasNext()) {
                if (!want.isEmpty()) {
                    return false;
                }
                continue;
            }
            CharSequence first = values.next();
            boolean same = values.hasNext() ? want.equals(normalise(request.getAll(vary.get(i))))
                    : normalisesTo(first, want);
            if (!same) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@link #normalise} of the one value {@code value} gives {@code want}, without building it. */
    static boolean normalisesTo(CharSequence value, String want) {
        int at = 0;
        int start = 0;
        int n = value.length();
        while (start <= n) {
            int comma = start;
            while (comma < n && value.charAt(comma) != ',') {
                comma++;
            }
            int from = start;
            int to = comma;
            while (from < to && Character.isWhitespace(value.charAt(from))) {
                from++;
            }
            while (to > from && Character.isWhitespace(value.charAt(to - 1))) {
                to--;
            }
            if (from < to) {
                if (at > 0) {
                    if (at >= want.length() || want.charAt(at) != ',') {
                        return false;
                    }
                    at++;
                }
                int length = to - from;
                if (want.length() - at < length) {
                    return false;
                }
                for (int k = 0; k < length; k++) {
                    if (want.charAt(at + k) != value.charAt(from + k)) {
                        return false;
                    }
                }
                at += length;
            }
            start = comma + 1;
        }
        return at == want.length();
    }

    /** Field values joined by commas, each list member stripped of surrounding spaces. */
    static String normalise(List<String> values) {
        StringBuilder sb = new StringBuilder();
        for (String v : values) {
            for (String part : v.split(",")) {
                String p = part.strip();
                if (!p.isEmpty()) {
                    if (!sb.isEmpty()) {
                        sb.append(',');
                    }
                    sb.append(p);
                }
            }
        }
        return sb.toString();
    }

    /** True when a body with this Content-Encoding may go to a client sending these Accept-Encoding values. */
    static boolean acceptable(String encoding, List<String> acceptEncoding) {
        if (encoding.isEmpty() || encoding.equals("identity")) {
            return true;
        }
        boolean star = false;
        for (String v : acceptEncoding) {
            for (String part : v.split(",")) {
                String[] bits = part.split(";");
                String token = bits[0].strip().toLowerCase(Locale.ROOT);
                boolean zero = false;
                for (int i = 1; i < bits.length; i++) {
                    String p = bits[i].strip().toLowerCase(Locale.ROOT);
                    if (p.startsWith("q=")) {
                        try {
                            zero = Double.parseDouble(p.substring(2)) <= 0;
                        } catch (NumberFormatException e) {
                            zero = true;
                        }
                    }
                }
                if (token.equals(encoding) || (token.equals("x-" + encoding)) || ("x-" + token).equals(encoding)) {
                    return !zero;
                }
                if (token.equals("*")) {
                    star = !zero;
                }
            }
        }
        return star;
    }
}
