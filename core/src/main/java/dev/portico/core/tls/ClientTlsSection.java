package dev.portico.core.tls;

import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.Section;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Reads and writes a client {@code tls:} section:
 *
 * <pre>
 * tls:
 *   ca: backends-ca.pem       # PEM; default: the JDK's trust store
 *   verify: true              # false: no check of the chain or the name (logged as a warning)
 *   sni: api.internal         # sent and verified; default: the backend's host name
 *   client_cert: proxy.pem    # mutual TLS: the chain shown when the backend asks
 *   client_key: proxy.key     # its unencrypted PKCS#8 key
 * </pre>
 *
 * {@code tls: on} takes every default; {@code tls: off} is the same as no {@code tls} key. Relative paths are relative to the config file's
 * directory. Each file is read when the section is read, so a missing or unreadable file, a file
 * without PEM, or a key that does not match its certificate is reported at its line.
 */
public final class ClientTlsSection {

    private ClientTlsSection() {
    }

    /**
     * The settings under {@code key}, each missing setting taken from {@code base}; null when the
     * key is absent. Problems go to the section's list, and then the result is null too.
     *
     * @param s    the section holding the key
     * @param key  usually {@code tls}
     * @param base the settings a missing one is taken from (a pool's, for a backend's own section)
     * @return the settings, or null
     */
    public static ClientTlsSettings read(Section s, String key, ClientTlsSettings base) {
        Objects.requireNonNull(base, "base");
        ConfigNode node = s.node(key).orElse(null);
        if (node == null || node instanceof ConfigNode.ScalarNode n && n.text() == null) {
            return null;
        }
        if (node instanceof ConfigNode.ScalarNode) {
            return s.bool(key, false) ? base : null;
        }
        Section t = s.section(key);
        int before = t.problems().list().size();
        ClientTlsSettings.Builder b = base.toBuilder();
        if (t.has("ca")) {
            b.ca(relative(t, t.string("ca", null)));
        }
        b.verify(t.bool("verify", base.verify()));
        if (t.has("sni")) {
            b.sni(t.string("sni", null).strip());
        }
        Path cert = t.has("client_cert") ? relative(t, t.string("client_cert", null)) : base.clientCert();
        Path keyFile = t.has("client_key") ? relative(t, t.string("client_key", null)) : base.clientKey();
        t.finish();
        boolean paired = (cert == null) == (keyFile == null);
        if (!paired) {
            t.problem(cert == null ? "client_key" : "client_cert", "'" + t.path() + "' needs both client_cert and "
                    + "client_key, or neither");
            // The other files are still checked, so that one pass reports every mistake.
            cert = null;
            keyFile = null;
        }
        b.clientCertificate(cert, keyFile);
        if (paired && t.problems().list().size() > before) {
            return null;
        }
        ClientTlsSettings settings;
        try {
            settings = b.build();
        } catch (IllegalArgumentException e) {
            t.problem("sni", "bad '" + t.path() + "': " + e.getMessage());
            return null;
        }
        try {
            ClientTls.create(settings, true);
            if (!paired) {
                return null;
            }
        } catch (ClientTlsException e) {
            if (t.has(e.key())) {
                t.problem(e.key(), "bad '" + t.path() + "." + e.key() + "': " + e.getMessage());
            } else {
                t.problem(e.key(), "bad '" + t.path() + "' (" + e.key() + " from the enclosing tls): " + e.getMessage());
            }
            return null;
        }
        return settings;
    }

    /**
     * The settings as {@link #read} reads them back over {@code base}: only the settings that
     * differ from it.
     *
     * @param tls  the settings
     * @param base the settings the reader starts from
     * @return an insertion-ordered map, empty when {@code tls} equals {@code base}
     * @throws IllegalArgumentException when {@code tls} leaves unset a file {@code base} sets,
     *                                  which a section cannot say
     */
    public static Map<String, Object> write(ClientTlsSettings tls, ClientTlsSettings base) {
        if (tls.ca() == null && base.ca() != null || tls.sni() == null && base.sni() != null
                || tls.clientCert() == null && base.clientCert() != null) {
            throw new IllegalArgumentException("a tls section cannot unset what its enclosing one sets");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        if (!Objects.equals(tls.ca(), base.ca())) {
            m.put("ca", tls.ca().toString());
        }
        if (tls.verify() != base.verify()) {
            m.put("verify", tls.verify());
        }
        if (!Objects.equals(tls.sni(), base.sni())) {
            m.put("sni", tls.sni());
        }
        if (!Objects.equals(tls.clientCert(), base.clientCert()) || !Objects.equals(tls.clientKey(), base.clientKey())) {
            m.put("client_cert", tls.clientCert().toString());
            m.put("client_key", tls.clientKey().toString());
        }
        return m;
    }

    /** Resolves a path written in a config file against that file's directory. */
    private static Path relative(Section s, String value) {
        Path p = Path.of(value.strip());
        if (p.isAbsolute()) {
            return p;
        }
        Path file = Path.of(s.location().file());
        if (Files.isRegularFile(file)) {
            Path parent = file.toAbsolutePath().getParent();
            return parent == null ? p : parent.resolve(p).normalize();
        }
        return p.toAbsolutePath().normalize();
    }
}
