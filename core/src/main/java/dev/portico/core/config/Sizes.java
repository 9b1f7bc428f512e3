package dev.portico.core.config;

import java.util.Locale;

/**
 * Byte sizes with suffixes, as nginx reads them: {@code 512}, {@code 64k}, {@code 10m}, {@code 1g}.
 * Suffixes are binary (k = 1024), case-insensitive, with an optional trailing {@code b}.
 */
public final class Sizes {

    private Sizes() {
    }

    /**
     * Parses a size.
     *
     * @throws IllegalArgumentException with a message fit for a user when the text is not a size
     */
    public static long parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.endsWith("ib")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("b")) {
            s = s.substring(0, s.length() - 1);
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (examples: 512, 64k, 10m, 1g)");
        }
        long factor = switch (s.charAt(s.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            case 't' -> 1L << 40;
            default -> 1L;
        };
        String digits = factor == 1 ? s : s.substring(0, s.length() - 1);
        try {
            long n = Long.parseLong(digits.trim());
            if (n < 0) {
                throw new IllegalArgumentException("'" + text + "' is negative; a size must be 0 or more");
            }
            return Math.multiplyExact(n, factor);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is not a size (examples: 512, 64k, 10m, 1g)");
        }
    }

    /** Renders a size with the largest exact suffix, so that {@code parse(format(n)) == n}. */
    public static String format(long bytes) {
        String[] suffix = {"", "k", "m", "g", "t"};
        int i = 0;
        long n = bytes;
        while (i < suffix.length - 1 && n != 0 && n % 1024 == 0) {
            n /= 1024;
            i++;
        }
        return n + suffix[i];
    }
}
