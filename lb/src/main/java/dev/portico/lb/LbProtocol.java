package dev.portico.lb;

import java.util.Locale;

/** What an lb service balances: TCP connections, or UDP sessions keyed by the client's address. */
public enum LbProtocol {
    /** Each accepted TCP connection is placed on a host and relayed both ways. */
    TCP,
    /** The first datagram of a client address opens a session to a host; later ones follow it until it expires. */
    UDP;

    /**
     * Parses {@code tcp} or {@code udp}.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static LbProtocol parse(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "tcp" -> TCP;
            case "udp" -> UDP;
            default -> throw new IllegalArgumentException("'" + text + "' is not a protocol (tcp, udp)");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
