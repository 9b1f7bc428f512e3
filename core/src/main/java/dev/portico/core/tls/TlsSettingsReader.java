package dev.portico.core.tls;

import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.Durations;
import dev.portico.core.config.Section;
import dev.portico.core.net.HostPort;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a {@code tls:} section into {@link TlsSettings} and writes one back:
 *
 * <pre>
 * tls:
 *   certificates:
 *     - {cert: /etc/portico/example.pem, key: /etc/portico/example.key}
 *   protocols: [TLSv1.2, TLSv1.3]
 *   ciphers: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ...]
 *   alpn: [h2, http/1.1]
 *   ticket_key_file: /etc/portico/tickets.key
 *   ocsp: /etc/portico/example.ocsp
 *   client_ca: /etc/portico/clients.pem
 *   verify: required | optional
 *   handshake_timeout: 10s
 *   redirect_http: 0.0.0.0:80
 *   hsts: 365d
 *   self_signed: false
 * </pre>
 *
 * Relative paths are read against the config file's directory. Certificate files are loaded
 * here too, so {@code portico check} reports an encrypted key or a key that does not match its
 * certificate at the line that names it.
 */
public final class TlsSettingsReader {

    private static final List<String> PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");
    private static final List<String> WEAK = List.of("RC4", "3DES", "DES_", "DES-", "EXPORT", "EXP-", "NULL", "ANON",
            "ADH", "AECDH", "MD5");

    private TlsSettingsReader() {
    }

    /**
     * Reads {@code s} (the {@code tls} mapping itself). Problems go to the section's
     * {@link dev.portico.core.config.Problems}; the answer is then null.
     */
    public static TlsSettings read(Section s) {
        return read(s, false);
    }

    /**
     * Reads {@code s} for a service whose certificates may also come from elsewhere (ACME, read by
     * the caller before this, so the key is known): without {@code certificates}, self-signed
     * stand-ins are made for the names until those arrive, as {@code self_signed: true} would.
     *
     * @param managed true when the caller supplies certificates of its own
     */
    public static TlsSettings read(Section s, boolean managed) {
        int before = s.problems().list().size();
        TlsSettings.Builder b = TlsSettings.builder();
        Optional<ConfigNode> certs = s.node("certificates");
        if (certs.isPresent() && !(certs.get() instanceof ConfigNode.ScalarNode sc && sc.text() == null)) {
            List<ConfigNode> items = certs.get() instanceof ConfigNode.ListNode l ? l.items() : List.of(certs.get());
            for (int i = 0; i < items.size(); i++) {
                Section c = Section.of(items.get(i), s.path() + ".certificates[" + i + "]", s.problems());
                String cert = c.requiredString("cert");
                String key = c.requiredString("key");
                c.finish();
                if (cert == null || key == null) {
                    continue;
                }
                Path certPath = relative(c, cert);
                Path keyPath = relative(c, key);
                if (!Files.isReadable(certPath)) {
                    c.problem("cert", "certificate file " + cert + " cannot be read");
                } else if (!Files.isReadable(keyPath)) {
                    c.problem("key", "key file " + key + " cannot be read");
                } else {
                    try {
                        PemFiles.load(certPath, keyPath, java.time.Instant.now(), w -> { });
                    } catch (TlsException e) {
                        c.problem(e.file() != null && e.file().equals(keyPath) ? "key" : "cert", e.getMessage());
                    }
                }
                b.certificate(certPath, keyPath);
            }
        }
        List<String> protocols = s.list("protocols", TlsSettings.DEFAULT_PROTOCOLS, v -> {
            for (String p : PROTOCOLS) {
                if (p.equalsIgnoreCase(v)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("'" + v + "' is not one of " + PROTOCOLS);
        });
        if (protocols.isEmpty()) {
            s.problem("protocols", "'" + s.path() + ".protocols' is empty");
        }
        b.protocols(protocols);
        List<String> ciphers = s.list("ciphers", TlsSettings.DEFAULT_CIPHERS, v -> {
            String upper = v.toUpperCase(Locale.ROOT);
            for (String w : WEAK) {
                if (upper.contains(w)) {
                    throw new IllegalArgumentException("'" + v + "' is a weak cipher suite (RC4, DES, 3DES, export, NULL, anonymous and MD5 suites are refused)");
                }
            }
            return v;
        });
        if (ciphers.isEmpty() && protocols.contains("TLSv1.2")) {
            s.problem("ciphers", "'" + s.path() + ".ciphers' is empty");
        }
        b.ciphers(ciphers);
        b.alpn(s.strings("alpn", TlsSettings.DEFAULT_ALPN));
        String tickets = s.string("ticket_key_file", null);
        if (tickets != null) {
            Path p = relative(s, tickets);
            if (!Files.isReadable(p)) {
                s.problem("ticket_key_file", "ticket key file " + tickets + " cannot be read");
            } else {
                try {
                    TicketKeys.readFile(p);
                } catch (TlsException e) {
                    s.problem("ticket_key_file", e.getMessage());
                }
            }
            b.ticketKeyFile(p);
        }
        String ocsp = s.string("ocsp", null);
        if (ocsp != null) {
            Path p = relative(s, ocsp);
            if (!Files.isReadable(p)) {
                s.problem("ocsp", "OCSP response file " + ocsp + " cannot be read");
            } else {
                try {
                    OcspStaple.read(p);
                } catch (TlsException e) {
                    s.problem("ocsp", e.getMessage());
                }
            }
            b.ocsp(p);
        }
        String clientCa = s.string("client_ca", null);
        String verify = s.oneOf("verify", clientCa == null ? "none" : "required", List.of("required", "optional", "none"));
        if (clientCa != null) {
            Path p = relative(s, clientCa);
            if (!Files.isReadable(p)) {
                s.problem("client_ca", "client CA file " + clientCa + " cannot be read");
            } else {
                try {
                    PemFiles.certificates(p);
                } catch (TlsException e) {
                    s.problem("client_ca", e.getMessage());
                }
            }
            TlsSettings.ClientAuth auth = switch (verify) {
                case "optional" -> TlsSettings.ClientAuth.OPTIONAL;
                case "none" -> TlsSettings.ClientAuth.NONE;
                default -> TlsSettings.ClientAuth.REQUIRED;
            };
            if (auth == TlsSettings.ClientAuth.NONE) {
                s.problem("verify", "'" + s.path() + ".verify' must be required or optional when 'client_ca' is set");
            }
            b.clientCa(p, auth);
        } else if (s.has("verify") && !verify.equals("none")) {
            s.problem("verify", "'" + s.path() + ".verify' needs 'client_ca'");
        }
        Duration timeout = s.duration("handshake_timeout", TlsSettings.DEFAULT_HANDSHAKE_TIMEOUT);
        if (timeout.isZero() || timeout.isNegative()) {
            s.problem("handshake_timeout", "'" + s.path() + ".handshake_timeout' must be more than 0s");
            timeout = TlsSettings.DEFAULT_HANDSHAKE_TIMEOUT;
        }
        b.handshakeTimeout(timeout);
        String redirect = s.string("redirect_http", null);
        if (redirect != null) {
            try {
                b.redirectHttp(HostPort.parse(redirect));
            } catch (IllegalArgumentException e) {
                s.problem("redirect_http", "bad '" + s.path() + ".redirect_http': " + e.getMessage());
            }
        }
        String hsts = s.string("hsts", null);
        if (hsts != null && !List.of("off", "no", "false").contains(hsts.strip().toLowerCase(Locale.ROOT))) {
            b.hsts(s.duration("hsts", null));
        }
        boolean noCerts = certs.isEmpty() || certs.get() instanceof ConfigNode.ScalarNode sc && sc.text() == null;
        boolean selfSigned = s.bool("self_signed", managed && noCerts);
        b.selfSigned(selfSigned);
        s.finish();
        if (noCerts && !selfSigned) {
            s.problems().add(s.location(), "'" + s.path() + "' needs 'certificates' (a list of {cert, key}) or 'self_signed: true'");
        }
        if (s.problems().list().size() > before) {
            return null;
        }
        return b.build();
    }

    /** The section as YAML values that {@link #read} reads back equal: paths absolute, defaults left out. */
    public static Map<String, Object> write(TlsSettings t) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (!t.certificates().isEmpty()) {
            List<Map<String, Object>> certs = new ArrayList<>();
            for (TlsSettings.CertificateFiles c : t.certificates()) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("cert", path(c.cert()));
                one.put("key", path(c.key()));
                certs.add(one);
            }
            m.put("certificates", certs);
        }
        putUnlessDefault(m, "protocols", t.protocols(), TlsSettings.DEFAULT_PROTOCOLS);
        putUnlessDefault(m, "ciphers", t.ciphers(), TlsSettings.DEFAULT_CIPHERS);
        putUnlessDefault(m, "alpn", t.alpn(), TlsSettings.DEFAULT_ALPN);
        putUnlessDefault(m, "ticket_key_file", t.ticketKeyFile() == null ? null : path(t.ticketKeyFile()), null);
        putUnlessDefault(m, "ocsp", t.ocsp() == null ? null : path(t.ocsp()), null);
        putUnlessDefault(m, "client_ca", t.clientCa() == null ? null : path(t.clientCa()), null);
        if (t.clientCa() != null) {
            m.put("verify", t.verify().name().toLowerCase(Locale.ROOT));
        }
        putUnlessDefault(m, "handshake_timeout", Durations.format(t.handshakeTimeout()),
                Durations.format(TlsSettings.DEFAULT_HANDSHAKE_TIMEOUT));
        putUnlessDefault(m, "redirect_http", t.redirectHttp() == null ? null : t.redirectHttp().toString(), null);
        putUnlessDefault(m, "hsts", t.hsts() == null ? null : Durations.format(t.hsts()), null);
        if (t.selfSigned()) {
            m.put("self_signed", true);
        }
        return m;
    }

    private static void putUnlessDefault(Map<String, Object> m, String key, Object value, Object def) {
        if (value != null && !value.equals(def)) {
            m.put(key, value);
        }
    }

    private static String path(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    /** Resolves a path written in a config file against that file's directory. */
    static Path relative(Section s, String value) {
        Path p = Path.of(value);
        if (p.isAbsolute()) {
            return p;
        }
        Path file = Path.of(s.location().file());
        if (Files.isRegularFile(file)) {
            Path parent = file.toAbsolutePath().getParent();
            return parent == null ? p : parent.resolve(p).normalize();
        }
        return p;
    }
}
