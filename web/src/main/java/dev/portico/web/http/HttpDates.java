package dev.portico.web.http;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * HTTP dates (RFC 9110 IMF-fixdate). The current {@code Date:} header line is rendered at most
 * once a second and shared, so a response costs no formatting.
 */
public final class HttpDates {

    private static final DateTimeFormatter IMF =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter RFC850 =
            DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter ASCTIME =
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US).withZone(ZoneOffset.UTC);

    private final Clock clock;
    private volatile Rendered current = new Rendered(Long.MIN_VALUE, new byte[0]);

    public HttpDates(Clock clock) {
        this.clock = clock;
    }

    private record Rendered(long second, byte[] line) {
    }

    /** {@code "Date: <now>\r\n"} as bytes; do not modify the array. */
    public byte[] dateLine() {
        long now = clock.millis() / 1000;
        Rendered r = current;
        if (r.second != now) {
            r = new Rendered(now, ("Date: " + format(now * 1000) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            current = r;
        }
        return r.line;
    }

    private final java.util.concurrent.ConcurrentHashMap<Long, Rendered> expires = new java.util.concurrent.ConcurrentHashMap<>();

    /** {@code "Expires: <now + maxAge>\r\n"} as bytes, rendered at most once a second per max-age. */
    public byte[] expiresLine(long maxAgeSeconds) {
        long now = clock.millis() / 1000;
        Rendered r = expires.get(maxAgeSeconds);
        if (r == null || r.second != now) {
            r = new Rendered(now, ("Expires: " + format((now + maxAgeSeconds) * 1000) + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            expires.put(maxAgeSeconds, r);
        }
        return r.line;
    }

    /** Now, in milliseconds, from the injected clock. */
    public long millis() {
        return clock.millis();
    }

    /** Formats epoch milliseconds as an IMF-fixdate. */
    public static String format(long epochMillis) {
        return IMF.format(Instant.ofEpochMilli(epochMillis));
    }

    /**
     * Parses any of the three HTTP date forms into epoch milliseconds, or returns -1 when the text
     * is not a date (a bad date is ignored, as RFC 9110 requires for conditionals).
     */
    public static long parse(String text) {
        if (text == null) {
            return -1;
        }
        String s = text.trim();
        for (DateTimeFormatter f : new DateTimeFormatter[] {IMF, RFC850, ASCTIME}) {
            try {
                return ZonedDateTime.parse(s, f).toInstant().toEpochMilli();
            } catch (DateTimeParseException ignored) {
                // try the next form
            }
        }
        return -1;
    }
}
