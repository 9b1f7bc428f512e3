package dev.portico.core.net;

import java.net.InetSocketAddress;

/**
 * A listen or backend address written as {@code HOST:PORT}, {@code [V6]:PORT}, {@code :PORT} or
 * {@code PORT} (both mean 0.0.0.0).
 */
public record HostPort(String host, int port) {

    public HostPort {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range (0 to 65535)");
        }
    }

    /**
     * Parses an address.
     *
     * @throws IllegalArgumentException with a message fit for a user
     */
    public static HostPort parse(String text) {
        String s = text.trim();
        String host;
        String port;
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            if (end < 0 || end + 1 >= s.length() || s.charAt(end + 1) != ':') {
                throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (IPv6 is written [::1]:8080)");
            }
            host = s.substring(1, end);
            port = s.substring(end + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0) {
                host = "0.0.0.0";
                port = s;
            } else {
                if (s.indexOf(':') != colon) {
                    throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (IPv6 is written [::1]:8080)");
                }
                host = colon == 0 ? "0.0.0.0" : s.substring(0, colon);
                port = s.substring(colon + 1);
            }
        }
        try {
            return new HostPort(host, Integer.parseInt(port));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT: '" + port + "' is not a port number");
        }
    }

    /** An unresolved socket address, resolved by the transport at bind or connect time. */
    public InetSocketAddress toAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
