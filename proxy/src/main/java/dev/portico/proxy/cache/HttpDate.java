package dev.portico.proxy.cache;

import dev.portico.web.http.HttpDates;

/**
 * HTTP dates (RFC 9110 §5.6.7) for the cache: IMF-fixdate out; IMF-fixdate, RFC 850 and asctime
 * in, read by {@link HttpDates#parse(CharSequence, long)} (no regex, no exception).
 */
public final class HttpDate {

    /** What {@link #parse} returns for a missing or unreadable date. */
    public static final long INVALID = HttpDates.INVALID;

    private HttpDate() {
    }

    /**
     * Epoch milliseconds, or {@link #INVALID}.
     *
     * @param now now in epoch ms, for the two-digit years of RFC 850 dates
     */
    public static long parse(String text, long now) {
        return HttpDates.parse(text, now);
    }

    /** The IMF-fixdate form of an instant. */
    public static String format(long epochMillis) {
        return HttpDates.format(epochMillis);
    }
}
