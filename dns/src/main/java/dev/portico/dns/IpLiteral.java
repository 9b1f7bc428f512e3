package dev.portico.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Parses IP address literals without ever doing a name lookup. */
final class IpLiteral {

    private IpLiteral() {
    }

    /**
     * Parses an IPv4 or IPv6 literal.
     *
     * @throws IllegalArgumentException when the text is not an IP address
     */
    static InetAddress parse(String text) {
        String s = text.trim();
        boolean v4 = s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = s.indexOf(':') >= 0 && s.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address");
        }
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address");
        }
    }
}
