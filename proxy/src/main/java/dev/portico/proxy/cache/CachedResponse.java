package dev.portico.proxy.cache;

import io.netty.util.AsciiString;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.LongFunction;

/**
 * One stored response: status, end-to-end headers, body, the times RFC 9111 needs for its age,
 * and the request header values its Vary names selected. Immutable; what every hit needs from the
 * headers (the rendered header block, the 304 block, Cache-Control, the validators) is worked out
 * once, when the entry is made, and kept in {@link #derived()}, with the Age and X-Cache lines of
 * the last hit (hits within one second send the same).
 *
 * @param status       the status code
 * @param headers      header names and values, alternating (with the Date it was stored with; no Age,
 *                     Content-Length, framing or Set-Cookie)
 * @param body         the complete body
 * @param requestTime  when the request that made this response was sent (epoch ms)
 * @param responseTime when its response arrived (epoch ms)
 * @param initialAge   RFC 9111 corrected_initial_age, in ms
 * @param lifetime     freshness lifetime in ms, fixed when stored or revalidated
 * @param storedAt     when the body was stored (bans compare against it)
 * @param vary         lower-case request header names and the values they had, alternating
 * @param encoding     the body's Content-Encoding, lower-case, "" for identity
 * @param derived      what hits need from the headers, worked out from them (null: work it out here)
 */
public record CachedResponse(int status, List<String> headers, byte[] body, long requestTime, long responseTime,
                             long initialAge, long lifetime, long storedAt, List<String> vary, String encoding,
                             Derived derived) {

    private static final int META_VERSION = 1;
    /** Headers a 304 from the cache carries (RFC 9110 §15.4.5), beyond Date. */
    private static final Set<String> NOT_MODIFIED_FIELDS = Set.of("cache-control", "content-location", "etag",
            "expires", "vary", "last-modified", "via");

    public CachedResponse {
        headers = List.copyOf(headers);
        vary = List.copyOf(vary);
        if (derived == null) {
            derived = new Derived(status, headers, body.length, vary);
        }
    }

    /** An entry whose derived parts are worked out from its headers. */
    public CachedResponse(int status, List<String> headers, byte[] body, long requestTime, long responseTime,
                          long initialAge, long lifetime, long storedAt, List<String> vary, String encoding) {
        this(status, headers, body, requestTime, responseTime, initialAge, lifetime, storedAt, vary, encoding, null);
    }

    /**
     * What every hit needs from an entry's headers, worked out once: the header lines of a full
     * answer (with Content-Length, without Date) and of a 304, the stored Date line, the
     * directives the cache obeys (CDN-Cache-Control when valid, else Cache-Control) and the
     * validators. The byte arrays are shared: callers must not change them.
     */
    public static final class Derived {
        private final byte[] headerLines;
        private final byte[] notModifiedLines;
        private final byte[] dateLine;
        private final CacheControl cacheControl;
        private final String etag;
        private final String lastModified;
        /**
         * The lines the last hit added (Age, X-Cache), by that Age: the hits of one second share
         * them. Written by whichever event loop answers; a reader sees a whole pair or an older one.
         */
        private HitLines hitLines;
        /** The names of {@code vary}, hashed once for the header lookups of every hit. */
        private final AsciiString[] varyNames;

        Derived(int status, List<String> headers, int bodyLength, List<String> vary) {
            StringBuilder full = new StringBuilder(256);
            StringBuilder notModified = new StringBuilder(128);
            List<String> cc = new ArrayList<>(1);
            List<String> cdn = new ArrayList<>(0);
            String tag = null;
            String modified = null;
            String date = null;
            for (int i = 0; i < headers.size(); i += 2) {
                String name = headers.get(i);
                String value = headers.get(i + 1);
                String lower = name.toLowerCase(Locale.ROOT);
                if (lower.equals("date")) {
                    date = date == null ? value : date;
                    continue;
                }
                full.append(name).append(": ").append(value).append("\r\n");
                if (NOT_MODIFIED_FIELDS.contains(lower)) {
                    notModified.append(name).append(": ").append(value).append("\r\n");
                }
                switch (lower) {
                    case "cache-control" -> cc.add(value);
                    case "cdn-cache-control" -> cdn.add(value);
                    case "etag" -> tag = tag == null ? value : tag;
                    case "last-modified" -> modified = modified == null ? value : modified;
                    default -> {
                    }
                }
            }
            if (status != 204 && status != 304) {
                full.append("Content-Length: ").append(bodyLength).append("\r\n");
            }
            this.headerLines = full.toString().getBytes(StandardCharsets.ISO_8859_1);
            this.notModifiedLines = notModified.toString().getBytes(StandardCharsets.ISO_8859_1);
            this.dateLine = date == null ? null : ("Date: " + date + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
            CacheControl targeted = CacheControl.targeted(cdn);
            this.cacheControl = targeted != null ? targeted : CacheControl.parse(cc);
            this.etag = tag;
            this.lastModified = modified;
            this.varyNames = new AsciiString[vary.size() / 2];
            for (int i = 0; i < varyNames.length; i++) {
                varyNames[i] = AsciiString.cached(vary.get(2 * i));
            }
        }

        @Override
        public String toString() {
            return "Derived[" + headerLines.length + " header bytes]";
        }
    }

    /** The extra lines of a hit at one Age (seconds); final fields, so any thread may read a pair it sees. */
    private record HitLines(long age, byte[] lines) {
    }

    /**
     * The extra lines a fresh hit adds at {@code ageSeconds}: those of the last hit when its Age
     * was the same, else {@code render}'s, kept for the next hits. Shared, not to be changed.
     */
    public byte[] hitLines(long ageSeconds, LongFunction<byte[]> render) {
        HitLines last = derived.hitLines;
        if (last != null && last.age() == ageSeconds) {
            return last.lines();
        }
        byte[] lines = render.apply(ageSeconds);
        derived.hitLines = new HitLines(ageSeconds, lines);
        return lines;
    }

    /** The request field named by the {@code i}th name of {@link #vary()}, as a pre-hashed name. */
    AsciiString varyName(int i) {
        return derived.varyNames[i];
    }

    /** The first value of a header, or null. */
    public String header(String name) {
        for (int i = 0; i < headers.size(); i += 2) {
            if (headers.get(i).equalsIgnoreCase(name)) {
                return headers.get(i + 1);
            }
        }
        return null;
    }

    /** Every value of a header. */
    public List<String> headerValues(String name) {
        List<String> out = new ArrayList<>(1);
        for (int i = 0; i < headers.size(); i += 2) {
            if (headers.get(i).equalsIgnoreCase(name)) {
                out.add(headers.get(i + 1));
            }
        }
        return out;
    }

    /**
     * The stored {@code "Date: ...\r\n"} line (RFC 9111 §4: a stored response keeps its Date),
     * or null for an entry stored without one. Shared, not to be changed.
     */
    public byte[] dateLine() {
        return derived.dateLine;
    }

    /** The directives the cache obeys for the stored response (CDN-Cache-Control or Cache-Control). */
    public CacheControl cacheControl() {
        return derived.cacheControl;
    }

    public String etag() {
        return derived.etag;
    }

    public String lastModified() {
        return derived.lastModified;
    }

    /** True when the backend can be asked whether this is still current. */
    public boolean hasValidator() {
        return derived.etag != null || derived.lastModified != null;
    }

    /** RFC 9111 current_age in ms. */
    public long age(long now) {
        return initialAge + Math.max(0, now - responseTime);
    }

    /** How far past its freshness lifetime the entry is, in ms (negative while fresh). */
    public long staleness(long now) {
        return age(now) - lifetime;
    }

    /** Bytes this entry holds, for the memory tier's weigher. */
    public int weight() {
        int w = 160 + body.length + encoding.length() + derived.headerLines.length + derived.notModifiedLines.length
                + (derived.dateLine == null ? 0 : derived.dateLine.length);
        for (String h : headers) {
            w += h.length() + 16;
        }
        for (String v : vary) {
            w += v.length() + 16;
        }
        return w;
    }

    /**
     * The header lines a full answer from the cache sends (with Content-Length, without Date and
     * Age), rendered once per entry: shared, not to be changed.
     */
    public byte[] headerLines() {
        return derived.headerLines;
    }

    /** The stored header lines alone (no Content-Length, no Date), for a 206 that adds its own. */
    public byte[] fieldLines() {
        StringBuilder sb = new StringBuilder(256);
        for (int i = 0; i < headers.size(); i += 2) {
            if (headers.get(i).equalsIgnoreCase("date")) {
                continue;
            }
            sb.append(headers.get(i)).append(": ").append(headers.get(i + 1)).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The header lines of a 304 answered from this entry (shared, not to be changed). */
    public byte[] notModifiedLines() {
        return derived.notModifiedLines;
    }

    /** The same entry with another freshness lifetime (used by tests and revalidation). */
    public CachedResponse withLifetime(long value) {
        return new CachedResponse(status, headers, body, requestTime, responseTime, initialAge, value, storedAt, vary,
                encoding, derived);
    }

    /** The same body with new headers and times after a 304 (RFC 9111 §4.3.4). */
    public CachedResponse revalidated(List<String> newHeaders, long reqTime, long respTime, long newInitialAge,
                                      long newLifetime) {
        return new CachedResponse(status, newHeaders, body, reqTime, respTime, newInitialAge, newLifetime, storedAt,
                vary, encoding);
    }

    // ---- the disk tier's meta bytes -------------------------------------------------------------

    /** Everything but the body, as bytes for the disk tier. */
    public byte[] meta() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(META_VERSION);
            out.writeShort(status);
            out.writeLong(requestTime);
            out.writeLong(responseTime);
            out.writeLong(initialAge);
            out.writeLong(lifetime);
            out.writeLong(storedAt);
            out.writeUTF(encoding);
            writeList(out, headers);
            writeList(out, vary);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void writeList(DataOutputStream out, List<String> list) throws IOException {
        out.writeShort(list.size());
        for (String s : list) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.writeInt(b.length);
            out.write(b);
        }
    }

    /** Reads meta bytes written by {@link #meta()} back, with the body; throws on anything unreadable. */
    public static CachedResponse fromMeta(byte[] meta, byte[] body) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(meta))) {
            int version = in.readUnsignedByte();
            if (version != META_VERSION) {
                throw new IOException("unknown cache entry version " + version);
            }
            int status = in.readUnsignedShort();
            long requestTime = in.readLong();
            long responseTime = in.readLong();
            long initialAge = in.readLong();
            long lifetime = in.readLong();
            long storedAt = in.readLong();
            String encoding = in.readUTF();
            List<String> headers = readList(in);
            List<String> vary = readList(in);
            if (headers.size() % 2 != 0 || vary.size() % 2 != 0) {
                throw new IOException("corrupt cache entry");
            }
            return new CachedResponse(status, headers, body, requestTime, responseTime, initialAge, lifetime, storedAt,
                    vary, encoding);
        }
    }

    private static List<String> readList(DataInputStream in) throws IOException {
        int n = in.readUnsignedShort();
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int len = in.readInt();
            if (len < 0 || len > in.available()) {
                throw new IOException("corrupt cache entry");
            }
            out.add(new String(in.readNBytes(len), StandardCharsets.UTF_8));
        }
        return out;
    }
}
