package dev.portico.admin;

import java.util.Locale;

/** What a bearer token may do on the admin endpoint. */
public enum AdminRole {
    /** {@code GET} and {@code HEAD} only: look, never change. Other methods get 403. */
    READ,
    /** Every route, including the ones that change the running services. */
    WRITE;

    /**
     * Parses {@code read} (also {@code readonly}, {@code ro}) or {@code write} (also {@code full},
     * {@code rw}).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static AdminRole parse(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "read", "readonly", "read-only", "ro" -> READ;
            case "write", "full", "rw", "admin" -> WRITE;
            default -> throw new IllegalArgumentException("'" + text + "' is not an admin role (read or write)");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
