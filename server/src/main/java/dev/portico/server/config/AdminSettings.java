package dev.portico.server.config;

import dev.portico.core.net.HostPort;

/**
 * The {@code admin:} section.
 *
 * @param enabled false for {@code admin: off}
 * @param listen  where the admin endpoint listens
 * @param token   the bearer token, or null for none
 */
public record AdminSettings(boolean enabled, HostPort listen, String token) {

    /** No admin endpoint. */
    public static AdminSettings off() {
        return new AdminSettings(false, dev.portico.admin.AdminServer.DEFAULT_LISTEN, null);
    }

    /** An admin endpoint without a token. */
    public static AdminSettings at(HostPort listen) {
        return new AdminSettings(true, listen, null);
    }

    @Override
    public String toString() {
        return enabled ? listen + (token != null ? " (token)" : "") : "off";
    }
}
