package dev.portico.web.http;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * HTTP dates (RFC 9110 §5.6.7): IMF-fixdate out, all three forms in. The current {@code Date:}
 * header line is rendered at most once a second and shared, so a response costs no formatting.
 */
public final class HttpDates {

    private static final DateTimeFormatter IMF =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

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

    /** What {@link #parse} returns for text that is not an HTTP date. */
    public static final long INVALID = Long.MIN_VALUE;

    private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    private static final String[] LONG_DAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
        "Sunday"};
    private static final String MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";

    /**
     * Parses any of the three HTTP date forms of RFC 9110 §5.6.7 into epoch milliseconds, or
     * returns {@link #INVALID}: IMF-fixdate ({@code Sun, 06 Nov 1994 08:49:37 GMT}), RFC 850
     * ({@code Sunday, 06-Nov-94 08:49:37 GMT}) and asctime ({@code Sun Nov  6 08:49:37 1994}).
     * The grammar is followed exactly (two-digit hours, case-sensitive names, a real calendar
     * day); the day name is checked to be a name but not against the date. An RFC 850 year that
     * would be more than 50 years after {@code nowMillis} is the latest past year with those two
     * digits. No regex, no exception, no allocation.
     */
    public static long parse(CharSequence text, long nowMillis) {
        if (text == null) {
            return INVALID;
        }
        int from = 0;
        int to = text.length();
        while (from < to && (text.charAt(from) == ' ' || text.charAt(from) == '\t')) {
            from++;
        }
        while (to > from && (text.charAt(to - 1) == ' ' || text.charAt(to - 1) == '\t')) {
            to--;
        }
        int comma = -1;
        for (int i = from; i < to && i - from <= 9; i++) {
            if (text.charAt(i) == ',') {
                comma = i;
                break;
            }
        }
        if (comma == from + 3) {
            return imf(text, from, to);
        }
        if (comma > from + 3) {
            return rfc850(text, from, comma, to, nowMillis);
        }
        return asctime(text, from, to);
    }

    /** {@code Sun, 06 Nov 1994 08:49:37 GMT} */
    private static long imf(CharSequence t, int at, int to) {
        if (to - at != 29 || !dayName(t, at, at + 3, DAYS) || t.charAt(at + 4) != ' ' || t.charAt(at + 7) != ' '
                || t.charAt(at + 11) != ' ' || t.charAt(at + 16) != ' ' || t.charAt(at + 25) != ' '
                || !gmt(t, at + 26)) {
            return INVALID;
        }
        return epoch(digits(t, at + 12, 4), month(t, at + 8), digits(t, at + 5, 2), t, at + 17);
    }

    /** {@code Sunday, 06-Nov-94 08:49:37 GMT} */
    private static long rfc850(CharSequence t, int at, int comma, int to, long nowMillis) {
        int d = comma + 1;
        if (to - d != 23 || !dayName(t, at, comma, LONG_DAYS) || t.charAt(d) != ' ' || t.charAt(d + 3) != '-'
                || t.charAt(d + 7) != '-' || t.charAt(d + 10) != ' ' || t.charAt(d + 19) != ' ' || !gmt(t, d + 20)) {
            return INVALID;
        }
        int yy = digits(t, d + 8, 2);
        if (yy < 0) {
            return INVALID;
        }
        // RFC 9110 §5.6.7: a year that appears to be more than 50 years in the future is the most
        // recent past year with the same last two digits.
        int current = yearOf(Math.floorDiv(nowMillis, 86_400_000L));
        int year = current - Math.floorMod(current, 100) + yy;
        if (year > current + 50) {
            year -= 100;
        }
        return epoch(year, month(t, d + 4), digits(t, d + 1, 2), t, d + 11);
    }

    /** {@code Sun Nov  6 08:49:37 1994} */
    private static long asctime(CharSequence t, int at, int to) {
        if (to - at != 24 || !dayName(t, at, at + 3, DAYS) || t.charAt(at + 3) != ' ' || t.charAt(at + 7) != ' '
                || t.charAt(at + 10) != ' ' || t.charAt(at + 19) != ' ') {
            return INVALID;
        }
        int day = t.charAt(at + 8) == ' ' ? digits(t, at + 9, 1) : digits(t, at + 8, 2);
        return epoch(digits(t, at + 20, 4), month(t, at + 4), day, t, at + 11);
    }

    private static boolean dayName(CharSequence t, int from, int to, String[] names) {
        for (String n : names) {
            if (n.length() == to - from && regionIs(t, from, n)) {
                return true;
            }
        }
        return false;
    }

    private static boolean gmt(CharSequence t, int at) {
        return t.charAt(at) == 'G' && t.charAt(at + 1) == 'M' && t.charAt(at + 2) == 'T';
    }

    private static boolean regionIs(CharSequence t, int at, String s) {
        for (int i = 0; i < s.length(); i++) {
            if (t.charAt(at + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The month (1-12) named by three letters at {@code at}, or -1. */
    private static int month(CharSequence t, int at) {
        for (int m = 0; m < 12; m++) {
            if (t.charAt(at) == MONTHS.charAt(m * 3) && t.charAt(at + 1) == MONTHS.charAt(m * 3 + 1)
                    && t.charAt(at + 2) == MONTHS.charAt(m * 3 + 2)) {
                return m + 1;
            }
        }
        return -1;
    }

    /** The decimal value of {@code n} ASCII digits at {@code at}, or -1. */
    private static int digits(CharSequence t, int at, int n) {
        int v = 0;
        for (int i = at; i < at + n; i++) {
            char c = t.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** Epoch ms of a date and the {@code HH:MM:SS} at {@code time}, or {@link #INVALID} when out of range. */
    private static long epoch(int year, int month, int day, CharSequence t, int time) {
        if (t.charAt(time + 2) != ':' || t.charAt(time + 5) != ':') {
            return INVALID;
        }
        int hour = digits(t, time, 2);
        int minute = digits(t, time + 3, 2);
        int second = digits(t, time + 6, 2);
        if (year < 0 || month < 1 || day < 1 || day > monthLength(year, month) || hour < 0 || hour > 23
                || minute < 0 || minute > 59 || second < 0 || second > 60) {
            return INVALID;
        }
        return ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60_000L + second * 1000L;
    }

    private static int monthLength(int year, int month) {
        return switch (month) {
            case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    /** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
    private static long daysFromCivil(int year, int month, int day) {
        long y = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(y, 400);
        long yoe = y - era * 400;
        long doy = (153L * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146_097 + doe - 719_468;
    }

    /** The year of a day counted from 1970-01-01 (the inverse of {@link #daysFromCivil}, year only). */
    private static int yearOf(long epochDay) {
        long z = epochDay + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long doe = z - era * 146_097;
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        return (int) (yoe + era * 400 + (mp >= 10 ? 1 : 0));
    }
}
