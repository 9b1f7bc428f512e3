package dev.portico.server.config;

import dev.portico.admin.AdminRole;
import dev.portico.admin.AdminServer;
import dev.portico.acme.AcmeSettings;
import dev.portico.core.net.HostPort;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The {@code admin:} section.
 *
 * @param enabled  false for {@code admin: off}
 * @param listen   where the admin endpoint listens
 * @param tokens   the configured bearer tokens; empty means one generated into
 *                 {@link #defaultTokenFile()} on first start
 * @param autosave how often the running config is saved to the file, or null for never
 * @param limits   what one client may hold: connections and request body size
 * @param tls      certificates and TLS options that make the endpoint HTTPS, or null for plain HTTP
 * @param acme     certificates obtained through ACME ({@code tls.acme}, TLS-ALPN-01 on the endpoint's
 *                 own listener), or null
 */
public record AdminSettings(boolean enabled, HostPort listen, List<TokenSpec> tokens, Duration autosave, Ssh ssh,
                            Limits limits, dev.portico.core.tls.TlsSettings tls, AcmeSettings acme) {

    public AdminSettings {
        Objects.requireNonNull(listen, "listen");
        tokens = List.copyOf(tokens);
        Objects.requireNonNull(limits, "limits");
        if (acme != null && tls == null) {
            throw new IllegalArgumentException("admin acme needs a 'tls' section");
        }
    }

    /** Settings without ACME. */
    public AdminSettings(boolean enabled, HostPort listen, List<TokenSpec> tokens, Duration autosave, Ssh ssh,
                         Limits limits, dev.portico.core.tls.TlsSettings tls) {
        this(enabled, listen, tokens, autosave, ssh, limits, tls, null);
    }

    /** Settings with the default {@link Limits}, over plain HTTP. */
    public AdminSettings(boolean enabled, HostPort listen, List<TokenSpec> tokens, Duration autosave, Ssh ssh) {
        this(enabled, listen, tokens, autosave, ssh, Limits.DEFAULTS);
    }

    /** Settings over plain HTTP. */
    public AdminSettings(boolean enabled, HostPort listen, List<TokenSpec> tokens, Duration autosave, Ssh ssh,
                         Limits limits) {
        this(enabled, listen, tokens, autosave, ssh, limits, null, null);
    }

    /**
     * {@code admin.max_connections} and {@code admin.max_body}.
     *
     * @param maxConnections connections open at once; one more is closed as it is accepted
     * @param maxBody        the longest request body; a longer one gets 413
     */
    public record Limits(int maxConnections, int maxBody) {
        public static final Limits DEFAULTS = new Limits(AdminServer.DEFAULT_MAX_CONNECTIONS, AdminServer.DEFAULT_MAX_BODY);
    }

    /**
     * One configured token: given inline, or kept in a file (created with a fresh token, mode 0600,
     * when it does not exist yet).
     *
     * @param token the token, or null when it is in {@code file}
     * @param file  the file holding the token, or null when it is inline
     * @param role  what it may do
     */
    public record TokenSpec(String token, Path file, AdminRole role) {
        public TokenSpec {
            if ((token == null) == (file == null)) {
                throw new IllegalArgumentException("a token is given inline or in a file, not both or neither");
            }
            Objects.requireNonNull(role, "role");
        }

        /** An inline token. */
        public static TokenSpec inline(String token, AdminRole role) {
            return new TokenSpec(token, null, role);
        }

        /** A token kept in a file. */
        public static TokenSpec file(Path file, AdminRole role) {
            return new TokenSpec(null, file, role);
        }

        @Override
        public String toString() {
            return (file != null ? file.toString() : "(inline)") + " " + role;
        }
    }

    /**
     * The SSH console: off unless {@code admin.ssh.authorized_keys} is set.
     *
     * @param listen         where it listens ({@code 127.0.0.1:2222} by default)
     * @param authorizedKeys the OpenSSH authorized_keys file allowed to log in
     * @param hostKey        where the host key is kept (generated on first start)
     */
    public record Ssh(HostPort listen, Path authorizedKeys, Path hostKey) {
        /** The default listen address: loopback only. */
        public static final HostPort DEFAULT_LISTEN = new HostPort("127.0.0.1", 2222);

        /** The default host key: {@code ~/.portico/ssh_host_key}. */
        public static Path defaultHostKey() {
            return Path.of(System.getProperty("user.home"), ".portico", "ssh_host_key");
        }
    }

    /** No admin endpoint. */
    public static AdminSettings off() {
        return new AdminSettings(false, AdminServer.DEFAULT_LISTEN, List.of(), null, null);
    }

    /** An admin endpoint with a generated token, no autosave and no SSH console. */
    public static AdminSettings at(HostPort listen) {
        return new AdminSettings(true, listen, List.of(), null, null);
    }

    /** Where the token is generated when none is configured: {@code ~/.portico/admin.token}. */
    public static Path defaultTokenFile() {
        return defaultTokenFile(dev.portico.core.lifecycle.ServiceContext.defaultStateDir());
    }

    /** Where the token is generated when none is configured: {@code STATE_DIR/admin.token}. */
    public static Path defaultTokenFile(Path stateDir) {
        return stateDir.resolve("admin.token");
    }

    @Override
    public String toString() {
        return enabled ? listen + " " + tokens + (autosave != null ? " autosave " + autosave : "")
                + (ssh != null ? " ssh " + ssh.listen() : "")
                + (!limits.equals(Limits.DEFAULTS) ? " max_connections " + limits.maxConnections() + " max_body " + limits.maxBody() : "")
                + (tls != null ? " tls" : "")
                + (acme != null ? " acme " + acme.names() : "")
                : "off";
    }
}
