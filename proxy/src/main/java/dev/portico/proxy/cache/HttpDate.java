package dev.portico.proxy.cache;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** HTTP dates (RFC 9110 §5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms on input. */
public final class HttpDate {

    /** What {@link #parse} returns for a missing or unreadable date. */
    public static final long INVALID = Long.MIN_VALUE;

    private static final DateTimeFormatter RFC_850 = DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss 'GMT'", Locale.ROOT);
    private static final DateTimeFormatter IMF = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT);
    private static final DateTimeFormatter ASCTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ROOT);

    private HttpDate() {
    }

    /** Epoch milliseconds, or {@link #INVALID}. */
    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            return INVALID;
        }
        String t = text.strip();
        try {
            return ZonedDateTime.parse(t, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            // try the obsolete forms
        }
        try {
            ZonedDateTime z = java.time.LocalDateTime.parse(t, RFC_850).atZone(ZoneOffset.UTC);
            if (z.getYear() > java.time.Year.now(ZoneOffset.UTC).getValue() + 50) {
                z = z.minusYears(100);
            }
            return z.toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            // next
        }
        try {
            return java.time.LocalDateTime.parse(t, ASCTIME).atZone(ZoneOffset.UTC).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return INVALID;
        }
    }

    /** The IMF-fixdate form of an instant. */
    public static String format(long epochMillis) {
        return IMF.format(Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC));
    }
}
