package dev.portico.web.http;

import java.util.Locale;

/**
 * The Host field's syntax (RFC 9110 §7.2, RFC 3986 §3.2.2): a registered name, an IPv4 address
 * or a bracketed IPv6 literal, then an optional port of up to five digits no larger than 65535
 * (an empty port after the colon is allowed: RFC 3986's {@code port = *DIGIT}).
 * No user info, path, space or control byte. An empty value is allowed, as RFC 9112 §3.2 asks of
 * clients whose target has no authority.
 */
public final class HostField {

    private HostField() {
    }

    /** True when {@code value} is a well-formed Host field value. */
    public static boolean valid(CharSequence value) {
        int n = value.length();
        int i = 0;
        if (n > 0 && value.charAt(0) == '[') {
            i = 1;
            while (i < n && value.charAt(i) != ']') {
                char c = value.charAt(i);
                if (!(hex(c) || c == ':' || c == '.')) {
                    return false;
                }
                i++;
            }
            if (i == n || i == 1) {
                return false;
            }
            i++;
        } else {
            while (i < n && value.charAt(i) != ':') {
                char c = value.charAt(i);
                if (c == '%') {
                    if (i + 2 >= n || !hex(value.charAt(i + 1)) || !hex(value.charAt(i + 2))) {
                        return false;
                    }
                    i += 3;
                    continue;
                }
                if (!regNameChar(c)) {
                    return false;
                }
                i++;
            }
        }
        if (i == n) {
            return true;
        }
        if (value.charAt(i) != ':') {
            return false;
        }
        int digits = n - i - 1;
        if (digits > 5) {
            return false;
        }
        int port = 0;
        for (int j = i + 1; j < n; j++) {
            char c = value.charAt(j);
            if (c < '0' || c > '9') {
                return false;
            }
            port = port * 10 + (c - '0');
        }
        return port <= 65535;
    }

    /**
     * The host a request names, for picking a site or a pool: without the port, lower-cased,
     * with one trailing dot removed; "" when {@code value} is null.
     */
    public static String normalise(String value) {
        if (value == null) {
            return "";
        }
        int end;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            end = close < 0 ? value.length() : close + 1;
        } else {
            int colon = value.lastIndexOf(':');
            end = colon < 0 ? value.length() : colon;
        }
        if (end > 0 && value.charAt(end - 1) == '.') {
            end--;
        }
        return value.substring(0, end).toLowerCase(Locale.ROOT);
    }

    private static boolean hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** unreserved / sub-delims of RFC 3986. */
    private static boolean regNameChar(char c) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            return true;
        }
        return switch (c) {
            case '-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=' -> true;
            default -> false;
        };
    }
}
