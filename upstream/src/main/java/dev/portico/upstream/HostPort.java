package dev.portico.upstream;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A host name or IP literal plus a TCP/UDP port, as written in configuration ({@code host:port}
 * or {@code [v6-literal]:port}).
 *
 * @param host host name or IP literal, without brackets
 * @param port port number, 1 to 65535
 */
public record HostPort(String host, int port) {

    /** Validates the components. */
    public HostPort {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host: \"" + host + "\" (expected: non-blank)");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
        }
    }

    /**
     * Parses {@code host:port}, {@code [v6]:port}, or a bare host when a default port is given.
     *
     * @param text        the text to parse
     * @param defaultPort port used when the text has none, or 0 to require a port
     * @return the parsed value
     * @throws IllegalArgumentException if the text is malformed
     */
    public static HostPort parse(String text, int defaultPort) {
        Objects.requireNonNull(text, "text");
        String s = text.strip();
        String host;
        String portText;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("address: \"" + text + "\" (expected: [v6]:port)");
            }
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (rest.isEmpty()) {
                portText = null;
            } else if (rest.startsWith(":")) {
                portText = rest.substring(1);
            } else {
                throw new IllegalArgumentException("address: \"" + text + "\" (expected: [v6]:port)");
            }
        } else {
            int colon = s.lastIndexOf(':');
            if (colon >= 0 && s.indexOf(':') != colon) {
                // Bare IPv6 literal without brackets: no port.
                host = s;
                portText = null;
            } else if (colon >= 0) {
                host = s.substring(0, colon);
                portText = s.substring(colon + 1);
            } else {
                host = s;
                portText = null;
            }
        }
        if (portText == null) {
            if (defaultPort == 0) {
                throw new IllegalArgumentException("address: \"" + text + "\" (expected: host:port)");
            }
            return new HostPort(host, defaultPort);
        }
        try {
            return new HostPort(host, Integer.parseInt(portText));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port: \"" + portText + "\" in \"" + text + "\" (expected: a number)", e);
        }
    }

    /**
     * Parses {@code host:port} or {@code [v6]:port}; the port is required.
     *
     * @param text the text to parse
     * @return the parsed value
     */
    public static HostPort parse(String text) {
        return parse(text, 0);
    }

    /**
     * Returns an unresolved socket address; Netty's bootstrap resolves it when connecting, so no
     * blocking lookup happens here.
     *
     * @return an unresolved socket address for this host and port
     */
    public InetSocketAddress unresolved() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    /**
     * Returns a port-overridden copy (used by health checks on a separate check port).
     *
     * @param newPort the port to use
     * @return a copy with the given port
     */
    public HostPort withPort(int newPort) {
        return new HostPort(host, newPort);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
