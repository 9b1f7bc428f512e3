package dev.portico.dns;

import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

import java.util.Locale;

/** Name helpers shared by the config and the data snapshot. */
final class DnsNames {

    private DnsNames() {
    }

    /** Lower case without the trailing dot; rejects text that is not a domain name. */
    static String normalize(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        absolute(n);
        return n;
    }

    /** The absolute dnsjava name for {@code name} (with or without the trailing dot). */
    static Name absolute(String name) {
        try {
            return Name.fromString(name.endsWith(".") ? name : name + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException("'" + name + "' is not a domain name: " + e.getMessage());
        }
    }
}
