package dev.portico.proxy;

import dev.portico.proxy.cache.CacheResult;
import dev.portico.proxy.cache.CachedResponse;
import dev.portico.proxy.cache.HttpDate;
import dev.portico.web.files.Conditionals;
import dev.portico.web.files.Ranges;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.HttpDates;
import dev.portico.web.http.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers from a stored response, as the proxy's cache gives them: shared by the caching proxy
 * ({@link CachedExchange}) and the public seam other services use ({@link ProxyCache}).
 */
final class StoredAnswer {

    private static final byte[] NO_BODY = new byte[0];
    private static final byte[] AGE = "Age: ".getBytes(StandardCharsets.ISO_8859_1);
    /** "X-Cache: RESULT" lines by {@link CacheResult#ordinal()}. */
    private static final byte[][] X_CACHE = new byte[CacheResult.values().length][];

    static {
        for (CacheResult r : CacheResult.values()) {
            X_CACHE[r.ordinal()] = ("X-Cache: " + r.name() + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    private StoredAnswer() {
    }

    /**
     * Answers {@code ex} from an entry: 304 when the client's own conditional holds, 206 or 416
     * for a GET with Range (and an If-Range that holds), else the stored response, with Age,
     * X-Cache and, when stale, the reason.
     *
     * @param now    the cache clock's time
     * @param ranged true for a GET with a Range header
     */
    static void answer(Exchange ex, CachedResponse e, CacheResult how, String staleReason, long now, boolean ranged) {
        // A miss answered from the entry it just stored adds no Age of its own (one the backend
        // sent is part of the entry's age); a hit gives the entry's current age (RFC 9111 §4.2.3).
        long age = e.age(now) / 1000;
        byte[] lines = how == CacheResult.HIT && staleReason == null ? e.hitLines(age, StoredAnswer::hitLines)
                : extraLines(how == CacheResult.MISS && age == 0 ? -1 : age, how, staleReason);
        // The stored response keeps its Date; Age says how old it is.
        ex.keepDate(e.dateLine());
        if (e.status() == 200 && notModified(ex, e, now)) {
            ex.respondPrerendered(304, e.notModifiedLines(), lines, NO_BODY, 0, 0);
            return;
        }
        if (ranged && e.status() == 200 && Conditionals.ifRangeHolds(ex.headers().get("If-Range"), e.etag(),
                HttpDates.parse(e.lastModified(), now), now)) {
            Ranges.Result r = Ranges.parse(ex.headers().get("Range"), e.body().length);
            if (r instanceof Ranges.Unsatisfiable) {
                ex.keepDate(null);
                String head = "Content-Range: bytes */" + e.body().length + "\r\nContent-Length: 0\r\n";
                ex.respondPrerendered(416, head.getBytes(StandardCharsets.ISO_8859_1), lines, NO_BODY, 0, 0);
                return;
            }
            if (r instanceof Ranges.Satisfiable s) {
                serveRanges(ex, e, s.ranges(), new StringBuilder(new String(lines, StandardCharsets.ISO_8859_1)));
                return;
            }
        }
        ex.respondPrerendered(e.status(), e.headerLines(), lines, e.body(), 0, e.body().length);
    }

    /** The lines a fresh hit adds: its Age and "X-Cache: HIT". */
    private static byte[] hitLines(long ageSeconds) {
        return extraLines(ageSeconds, CacheResult.HIT, null);
    }

    /**
     * The lines a hit adds: "Age: N" (none when {@code ageSeconds} is negative), "X-Cache: HOW"
     * and, when stale, the reason; one exact array.
     */
    static byte[] extraLines(long ageSeconds, CacheResult how, String staleReason) {
        byte[] result = X_CACHE[how.ordinal()];
        byte[] reason = staleReason == null ? NO_BODY
                : ("X-Cache-Stale-Reason: " + staleReason + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        long age = ageSeconds;
        int digits = 1;
        for (long v = age; v >= 10; v /= 10) {
            digits++;
        }
        int ageLength = age < 0 ? 0 : AGE.length + digits + 2;
        byte[] out = new byte[ageLength + result.length + reason.length];
        int at = 0;
        if (age >= 0) {
            System.arraycopy(AGE, 0, out, 0, AGE.length);
            at = AGE.length + digits;
            for (long v = age; at > AGE.length; v /= 10) {
                out[--at] = (byte) ('0' + v % 10);
            }
            at = AGE.length + digits;
            out[at++] = '\r';
            out[at++] = '\n';
        }
        System.arraycopy(result, 0, out, at, result.length);
        System.arraycopy(reason, 0, out, at + result.length, reason.length);
        return out;
    }

    /** 206 from a stored body: one range as is, several as multipart/byteranges (RFC 9110 §14.6). */
    private static void serveRanges(Exchange ex, CachedResponse e, List<Ranges.Range> ranges, StringBuilder extra) {
        byte[] body = e.body();
        if (ranges.size() == 1) {
            Ranges.Range r = ranges.getFirst();
            extra.append("Content-Range: bytes ").append(r.first()).append('-').append(r.last()).append('/')
                    .append(body.length).append("\r\nContent-Length: ").append(r.length()).append("\r\n");
            ex.respondPrerendered(206, e.fieldLines(), extra.toString().getBytes(StandardCharsets.ISO_8859_1), body,
                    (int) r.first(), (int) r.length());
            return;
        }
        ResponseHead h = ResponseHead.of(206);
        String type = null;
        String encoding = null;
        for (int i = 0; i < e.headers().size(); i += 2) {
            String name = e.headers().get(i);
            if (name.equalsIgnoreCase("Content-Type")) {
                type = e.headers().get(i + 1);
            } else if (name.equalsIgnoreCase("Content-Encoding")) {
                encoding = e.headers().get(i + 1);
            } else if (!name.equalsIgnoreCase("Date")) {
                h.header(name, e.headers().get(i + 1));
            }
        }
        String boundary = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong())
                + Long.toHexString(System.nanoTime());
        h.header("Content-Type", "multipart/byteranges; boundary=" + boundary);
        StringBuilder out = new StringBuilder(ranges.size() * 96);
        List<Object> parts = new ArrayList<>(ranges.size() * 2 + 1);
        long total = 0;
        for (Ranges.Range r : ranges) {
            out.setLength(0);
            out.append("\r\n--").append(boundary).append("\r\n");
            if (type != null) {
                out.append("Content-Type: ").append(type).append("\r\n");
            }
            if (encoding != null) {
                out.append("Content-Encoding: ").append(encoding).append("\r\n");
            }
            out.append("Content-Range: bytes ").append(r.first()).append('-').append(r.last()).append('/')
                    .append(body.length).append("\r\n\r\n");
            ByteBuf partHead = Unpooled.copiedBuffer(out, StandardCharsets.ISO_8859_1);
            total += partHead.readableBytes() + r.length();
            parts.add(partHead);
            parts.add(Unpooled.wrappedBuffer(body, (int) r.first(), (int) r.length()));
        }
        ByteBuf end = Unpooled.copiedBuffer("\r\n--" + boundary + "--\r\n", StandardCharsets.ISO_8859_1);
        total += end.readableBytes();
        parts.add(end);
        h.header("Content-Length", total);
        for (String line : extra.toString().split("\r\n")) {
            int colon = line.indexOf(':');
            h.header(line.substring(0, colon), line.substring(colon + 2));
        }
        ex.respondParts(h, parts.toArray());
    }

    /** True when the client's own conditional request is satisfied by the entry (RFC 9110 §13.2.2). */
    private static boolean notModified(Exchange ex, CachedResponse e, long now) {
        String inm = ex.headers().get(HttpHeaderNames.IF_NONE_MATCH);
        if (inm != null) {
            String etag = e.etag();
            if (etag == null) {
                return false;
            }
            String mine = weak(etag);
            for (String tag : inm.split(",")) {
                String t = tag.strip();
                if (t.equals("*") || weak(t).equals(mine)) {
                    return true;
                }
            }
            return false;
        }
        String ims = ex.headers().get(HttpHeaderNames.IF_MODIFIED_SINCE);
        String lm = e.lastModified();
        if (ims != null && lm != null) {
            long since = HttpDate.parse(ims, now);
            long modified = HttpDate.parse(lm, now);
            return since != HttpDate.INVALID && modified != HttpDate.INVALID && modified <= since;
        }
        return false;
    }

    private static String weak(String etag) {
        return etag.startsWith("W/") ? etag.substring(2) : etag;
    }
}
