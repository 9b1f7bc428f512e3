package dev.portico.core.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A listen or backend address written as {@code HOST:PORT}, {@code [V6]:PORT}, {@code :PORT} or
 * {@code PORT} (both mean 0.0.0.0).
 */
public record HostPort(String host, int port) {

    public HostPort {
        java.util.Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
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

    /**
     * A socket address for binding. An IP literal is used as is; a host name is looked up now
     * (a blocking call), so call it off the event loops.
     */
    public InetSocketAddress toAddress() {
        return new InetSocketAddress(host, port);
    }

    /**
     * An unresolved socket address; Netty's bootstrap resolves it when connecting, so no
     * blocking lookup happens here.
     */
    public InetSocketAddress unresolved() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    /**
     * A bound socket address as HOST:PORT: the IP literal, IPv6 compressed and in brackets
     * ({@code 0.0.0.0:8080}, {@code [::]:8080}, {@code [::1]:53}), never Java's
     * {@code /[0:0:0:0:0:0:0:0]:8080}. Addresses in logs and banners go through this.
     */
    public static HostPort of(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip == null) {
            return new HostPort(address.getHostString(), address.getPort());
        }
        return new HostPort(text(ip), address.getPort());
    }

    /**
     * What a listener asked for as {@code requested} got as {@code local}: as {@link #of}, except
     * that a wildcard keeps the family asked for ({@code 0.0.0.0:8080} stays so, though a
     * dual-stack socket reports {@code [::]}).
     */
    public static HostPort bound(HostPort requested, InetSocketAddress local) {
        if (local.getAddress() != null && local.getAddress().isAnyLocalAddress()) {
            try {
                InetAddress asked = InetAddress.ofLiteral(requested.host());
                if (asked.isAnyLocalAddress()) {
                    return of(new InetSocketAddress(asked, local.getPort()));
                }
            } catch (IllegalArgumentException notALiteral) {
                // a host name: show what was bound
            }
        }
        return of(local);
    }

    /**
     * An address as text: dotted IPv4, or the shortest form of IPv6 (RFC 5952: the longest run of
     * zero groups as "::"), as logs and sshd's {@code from=} patterns write it.
     */
    public static String text(InetAddress ip) {
        return ip instanceof Inet6Address v6 ? compress(v6) : ip.getHostAddress();
    }

    private static String compress(Inet6Address ip) {
        byte[] b = ip.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLen - 1;
                continue;
            }
            if (!out.isEmpty() && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }

    /** A copy with another port (health checks on a separate check port, listeners moved). */
    public HostPort withPort(int newPort) {
        return new HostPort(host, newPort);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
