package dev.portico.web.files;

import dev.portico.web.http.HttpDates;

/** Validators and the conditional-request checks of RFC 9110 §13. */
public final class Conditionals {

    private Conditionals() {
    }

    /** A strong validator from mtime and size, with a suffix per encoding. */
    public static String etag(long mtimeMillis, long size, String suffix) {
        return "\"" + Long.toHexString(mtimeMillis / 1000) + "-" + Long.toHexString(size) + suffix + "\"";
    }

    /** If-None-Match: true when any listed tag matches weakly, or the header is {@code *}. */
    public static boolean etagMatches(String header, String etag) {
        String h = header.trim();
        if (h.equals("*")) {
            return true;
        }
        String bare = etag.startsWith("W/") ? etag.substring(2) : etag;
        for (String part : h.split(",")) {
            String t = part.trim();
            if (t.startsWith("W/")) {
                t = t.substring(2);
            }
            if (t.equals(bare)) {
                return true;
            }
        }
        return false;
    }

    /**
     * If-Range (RFC 9110 §13.1.5): true when the Range may be honoured, that is when the header is
     * absent, names the representation's strong ETag, or is exactly its Last-Modified date.
     *
     * @param header       the If-Range value, or null
     * @param etag         the representation's ETag, or null
     * @param lastModified its Last-Modified in epoch ms, or {@link HttpDates#INVALID}
     * @param now          now in epoch ms (for the two-digit years of RFC 850 dates)
     */
    public static boolean ifRangeHolds(String header, String etag, long lastModified, long now) {
        if (header == null) {
            return true;
        }
        String v = header.trim();
        if (v.startsWith("\"") || v.startsWith("W/")) {
            return etag != null && !v.startsWith("W/") && v.equals(etag.trim());
        }
        long date = HttpDates.parse(v, now);
        return date != HttpDates.INVALID && lastModified != HttpDates.INVALID && date == lastModified;
    }

    /**
     * If-Modified-Since: true when the file is not newer than the date given (any of the three
     * date forms; a header that is not a date is ignored, RFC 9110 §13.1.3).
     */
    public static boolean notModifiedSince(String header, long mtimeMillis, long now) {
        if (header == null) {
            return false;
        }
        long since = HttpDates.parse(header, now);
        return since != HttpDates.INVALID && mtimeMillis <= since;
    }
}
