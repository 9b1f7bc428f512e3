package dev.portico.dns;

import java.net.InetAddress;
import java.util.Locale;
import java.util.Objects;

/**
 * One address of a dynamic record: the IP handed out in answers, its weight, and optionally the
 * port its health check connects to (0: the record's check port).
 *
 * <p>Text form, as written in the config file: {@code 10.0.0.1}, {@code 10.0.0.1 weight 3},
 * {@code 10.0.0.1:8080}, {@code [2001:db8::1]:8080 weight 2}.
 *
 * @param address   the IPv4 or IPv6 address answered
 * @param weight    relative weight, {@value #MIN_WEIGHT} to {@value #MAX_WEIGHT}
 * @param checkPort the port checked, or 0 for the record's health-check port
 */
public record AddressSpec(InetAddress address, int weight, int checkPort) {

    /** Smallest weight. */
    public static final int MIN_WEIGHT = 1;
    /** Largest weight; kept small because the weighted rotation holds one slot per unit. */
    public static final int MAX_WEIGHT = 100;

    /** Validates the fields. */
    public AddressSpec {
        Objects.requireNonNull(address, "address");
        if (weight < MIN_WEIGHT || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight " + weight + " is out of range (" + MIN_WEIGHT + " to "
                    + MAX_WEIGHT + ")");
        }
        if (checkPort < 0 || checkPort > 65_535) {
            throw new IllegalArgumentException("port " + checkPort + " is out of range (0 to 65535)");
        }
    }

    /**
     * Parses the text form.
     *
     * @param text for example {@code 10.0.0.1:8080 weight 3}
     * @return the spec
     * @throws IllegalArgumentException with a message fit for a user
     */
    public static AddressSpec parse(String text) {
        String[] words = text.trim().split("\\s+");
        int weight = 1;
        if (words.length == 3 && words[1].toLowerCase(Locale.ROOT).equals("weight")) {
            try {
                weight = Integer.parseInt(words[2]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + words[2] + "' is not a weight");
            }
        } else if (words.length != 1) {
            throw new IllegalArgumentException("'" + text + "' is not ADDRESS[:PORT] [weight N]");
        }
        String a = words[0];
        int port = 0;
        String host = a;
        if (a.startsWith("[")) {
            int end = a.indexOf(']');
            if (end < 0) {
                throw new IllegalArgumentException("'" + a + "' lacks ']'");
            }
            host = a.substring(1, end);
            if (end + 1 < a.length()) {
                port = port(a.substring(end + 1), a);
            }
        } else if (a.indexOf(':') >= 0 && a.indexOf(':') == a.lastIndexOf(':')) {
            host = a.substring(0, a.indexOf(':'));
            port = port(a.substring(a.indexOf(':')), a);
        }
        return new AddressSpec(IpLiteral.parse(host), weight, port);
    }

    private static int port(String colonPort, String whole) {
        if (!colonPort.startsWith(":")) {
            throw new IllegalArgumentException("'" + whole + "' is not ADDRESS[:PORT]");
        }
        try {
            return Integer.parseInt(colonPort.substring(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + whole + "' has a bad port");
        }
    }

    @Override
    public String toString() {
        String a = address.getHostAddress();
        String host = checkPort == 0 ? a : (a.indexOf(':') >= 0 ? "[" + a + "]" : a) + ":" + checkPort;
        return weight == 1 ? host : host + " weight " + weight;
    }
}
