package dev.portico.admin.ssh;

import dev.portico.admin.AdminRole;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Locale;

/**
 * The options in front of a key in {@code authorized_keys}, as sshd(8) reads them: comma-separated,
 * names case-insensitive, values in double quotes (which may hold commas and {@code \"}). Applied in
 * order, so {@code restrict,pty} allows a terminal and {@code pty,restrict} does not.
 *
 * <p>The console never forwards ports, agents or X11 and runs no {@code ~/.ssh/rc}, so the options
 * that forbid those are accepted and hold by construction. An option Portico does not know or cannot
 * enforce ({@code cert-authority}, {@code principals=}, {@code no-touch-required} …) makes the whole
 * line invalid: the key is then not accepted at all.
 *
 * @param from    the {@code from="…"} pattern list the client's address must match, or null for any
 * @param command the console command {@code command="…"} forces, or null
 * @param pty     whether a terminal may be allocated
 * @param expiry  the instant after which the key is refused ({@code expiry-time}), or null
 * @param role    what the key may do: {@code portico-role=read} for looking only, write by default
 */
record KeyOptions(FromPatterns from, String command, boolean pty, Instant expiry, AdminRole role) {

    /** No options: a terminal, any address, no expiry, every command. */
    static final KeyOptions NONE = new KeyOptions(null, null, true, null, AdminRole.WRITE);

    /** Whether the key may be used at {@code now}. */
    boolean expired(Instant now) {
        return expiry != null && now.isAfter(expiry);
    }

    /**
     * Parses an option string such as {@code restrict,from="10.0.0.0/8",command="show services"}.
     *
     * @param text the options, exactly as they stand before the key type
     * @param zone the zone {@code expiry-time} is read in (sshd uses the system's; a trailing
     *             {@code Z} means UTC)
     * @throws IllegalArgumentException naming the option that is unknown or malformed
     */
    static KeyOptions parse(String text, ZoneId zone) {
        FromPatterns from = null;
        String command = null;
        boolean pty = true;
        Instant expiry = null;
        AdminRole role = AdminRole.WRITE;
        int i = 0;
        int n = text.length();
        while (i < n) {
            int nameEnd = i;
            while (nameEnd < n && text.charAt(nameEnd) != '=' && text.charAt(nameEnd) != ',') {
                nameEnd++;
            }
            String name = text.substring(i, nameEnd).toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                throw new IllegalArgumentException("empty option in '" + text + "'");
            }
            String value = null;
            i = nameEnd;
            if (i < n && text.charAt(i) == '=') {
                i++;
                if (i < n && text.charAt(i) == '"') {
                    StringBuilder v = new StringBuilder();
                    i++;
                    boolean closed = false;
                    while (i < n) {
                        char c = text.charAt(i++);
                        if (c == '\\' && i < n && text.charAt(i) == '"') {
                            v.append('"');
                            i++;
                        } else if (c == '"') {
                            closed = true;
                            break;
                        } else {
                            v.append(c);
                        }
                    }
                    if (!closed) {
                        throw new IllegalArgumentException("option " + name + "= has no closing quote");
                    }
                    value = v.toString();
                } else if (name.equals("portico-role")) {
                    // Portico's own option also takes a bare word: portico-role=read
                    int comma = text.indexOf(',', i);
                    int stop = comma < 0 ? n : comma;
                    value = text.substring(i, stop);
                    i = stop;
                } else {
                    throw new IllegalArgumentException("option " + name + "= needs a value in double quotes");
                }
            }
            if (i < n) {
                if (text.charAt(i) != ',') {
                    throw new IllegalArgumentException("expected ',' after option " + name);
                }
                i++;
                if (i == n) {
                    throw new IllegalArgumentException("options end with ','");
                }
            }
            switch (name) {
                case "restrict" -> {
                    flag(name, value);
                    pty = false;
                }
                case "pty" -> {
                    flag(name, value);
                    pty = true;
                }
                case "no-pty" -> {
                    flag(name, value);
                    pty = false;
                }
                case "no-port-forwarding", "no-agent-forwarding", "no-x11-forwarding", "no-user-rc",
                     "port-forwarding", "agent-forwarding", "x11-forwarding", "user-rc" ->
                        // The console never forwards and runs no rc file; these change nothing.
                        flag(name, value);
                case "from" -> from = FromPatterns.parse(valued(name, value));
                case "command" -> command = valued(name, value);
                case "expiry-time" -> expiry = expiry(valued(name, value), zone);
                case "portico-role" -> {
                    try {
                        role = AdminRole.parse(valued(name, value));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("portico-role: " + e.getMessage());
                    }
                }
                default -> throw new IllegalArgumentException("option '" + name + "' is not supported by Portico");
            }
        }
        return new KeyOptions(from, command, pty, expiry, role);
    }

    private static void flag(String name, String value) {
        if (value != null) {
            throw new IllegalArgumentException("option " + name + " takes no value");
        }
    }

    private static String valued(String name, String value) {
        if (value == null) {
            throw new IllegalArgumentException("option " + name + " needs a value: " + name + "=\"…\"");
        }
        return value;
    }

    /** {@code YYYYMMDD[HHMM[SS]]}, optionally ending in {@code Z} for UTC. */
    static Instant expiry(String text, ZoneId zone) {
        String digits = text;
        ZoneId z = zone;
        if (digits.endsWith("Z") || digits.endsWith("z")) {
            digits = digits.substring(0, digits.length() - 1);
            z = ZoneOffset.UTC;
        }
        if (!digits.chars().allMatch(c -> c >= '0' && c <= '9')
                || digits.length() != 8 && digits.length() != 12 && digits.length() != 14) {
            throw new IllegalArgumentException("expiry-time \"" + text + "\" is not YYYYMMDD[HHMM[SS]][Z]");
        }
        try {
            LocalDateTime t = LocalDateTime.of(num(digits, 0, 4), num(digits, 4, 6), num(digits, 6, 8),
                    digits.length() > 8 ? num(digits, 8, 10) : 0, digits.length() > 8 ? num(digits, 10, 12) : 0,
                    digits.length() > 12 ? num(digits, 12, 14) : 0);
            return t.atZone(z).toInstant();
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("expiry-time \"" + text + "\" is not a valid time: " + e.getMessage());
        }
    }

    private static int num(String s, int from, int to) {
        return Integer.parseInt(s, from, to, 10);
    }
}
