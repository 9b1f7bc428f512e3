package dev.portico.filestore;

import java.util.ArrayList;
import java.util.List;

/**
 * 3xsd's node lists: {@code 10.0.0.1:80}, or a range over the last octet with one port for all,
 * {@code 10.0.0.1-10:80} (ten nodes). A single entry without a port gets port 80, as in 3fsd.
 */
public final class NodeRanges {

    private NodeRanges() {
    }

    /**
     * Expands one entry into {@code host:port} strings.
     *
     * @throws IllegalArgumentException with a message fit for a user
     */
    public static List<String> expand(String entry) {
        String s = entry.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("an empty node entry");
        }
        String hostPart = s;
        int port = 80;
        int colon = s.lastIndexOf(':');
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            if (end < 0 || end + 1 >= s.length() || s.charAt(end + 1) != ':') {
                throw new IllegalArgumentException("'" + entry + "' is not HOST:PORT (IPv6 is written [::1]:8080)");
            }
            return List.of(s.substring(0, end + 1) + ":" + port(entry, s.substring(end + 2)));
        }
        if (colon >= 0) {
            if (s.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + entry + "' is not HOST:PORT (IPv6 is written [::1]:8080)");
            }
            hostPart = s.substring(0, colon);
            port = port(entry, s.substring(colon + 1));
        }
        int dash = hostPart.indexOf('-');
        if (dash < 0) {
            if (hostPart.isEmpty()) {
                throw new IllegalArgumentException("'" + entry + "' has no host");
            }
            return List.of(hostPart + ":" + port);
        }
        String first = hostPart.substring(0, dash);
        int[] octets = ipv4(first, entry);
        int end;
        try {
            end = Integer.parseInt(hostPart.substring(dash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + entry + "': after '-' comes the last octet of the range "
                    + "(example: 10.0.0.1-10:80)");
        }
        if (end < octets[3] || end > 255) {
            throw new IllegalArgumentException("'" + entry + "': the range end must be between " + octets[3] + " and 255");
        }
        String base = octets[0] + "." + octets[1] + "." + octets[2] + ".";
        List<String> out = new ArrayList<>(end - octets[3] + 1);
        for (int o = octets[3]; o <= end; o++) {
            out.add(base + o + ":" + port);
        }
        return out;
    }

    private static int port(String entry, String text) {
        try {
            int p = Integer.parseInt(text);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("'" + entry + "': '" + text + "' is not a port number (1-65535)");
    }

    private static int[] ipv4(String text, String entry) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("'" + entry + "': a range starts at an IPv4 address (example: 10.0.0.1-10:80)");
        }
        int[] out = new int[4];
        for (int i = 0; i < 4; i++) {
            try {
                out[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                out[i] = -1;
            }
            if (out[i] < 0 || out[i] > 255 || parts[i].length() > 3) {
                throw new IllegalArgumentException("'" + entry + "': '" + text + "' is not an IPv4 address");
            }
        }
        return out;
    }
}
