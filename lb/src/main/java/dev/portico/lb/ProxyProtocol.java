package dev.portico.lb;

import java.util.Locale;

/** Whether and how the client's address is passed to backends in a PROXY protocol header. */
public enum ProxyProtocol {
    /** No header: backends see the balancer's address. */
    OFF,
    /** The human-readable version 1 line, {@code PROXY TCP4 src dst sport dport\r\n}. */
    V1,
    /** The binary version 2 header. */
    V2;

    /**
     * Parses {@code off}, {@code v1} or {@code v2} (also {@code false}, {@code 1}, {@code 2}).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static ProxyProtocol parse(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "off", "false", "no", "none" -> OFF;
            case "v1", "1" -> V1;
            case "v2", "2" -> V2;
            default -> throw new IllegalArgumentException("'" + text + "' is not a PROXY protocol version (off, v1, v2)");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
