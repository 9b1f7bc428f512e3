package dev.portico.acme;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The challenges being validated right now, published by {@link CertificateManager} before it
 * tells the ACME server to validate and withdrawn once the validation ended. Listeners read it
 * through {@link Http01Answers} and {@link TlsAlpn01Certificates}; both lookups are a map read.
 */
public final class PendingChallenges implements Http01Answers, TlsAlpn01Certificates {

    private record HttpKey(String host, String token) {
    }

    private final Map<HttpKey, String> http = new ConcurrentHashMap<>();
    private final Map<String, ValidationCertificate> alpn = new ConcurrentHashMap<>();

    /** Serves {@code keyAuthorization} for {@code /.well-known/acme-challenge/TOKEN} on host {@code name}. */
    public void putHttp01(String name, String token, String keyAuthorization) {
        http.put(new HttpKey(name.toLowerCase(Locale.ROOT), token), keyAuthorization);
    }

    public void removeHttp01(String name, String token) {
        http.remove(new HttpKey(name.toLowerCase(Locale.ROOT), token));
    }

    /** Serves {@code certificate} to TLS-ALPN-01 handshakes for {@code name}. */
    public void putTlsAlpn01(String name, ValidationCertificate certificate) {
        alpn.put(name.toLowerCase(Locale.ROOT), certificate);
    }

    public void removeTlsAlpn01(String name) {
        alpn.remove(name.toLowerCase(Locale.ROOT));
    }

    /** True when nothing is pending. */
    public boolean isEmpty() {
        return http.isEmpty() && alpn.isEmpty();
    }

    @Override
    public Optional<String> answer(String host, String path) {
        if (host == null || path == null || !path.startsWith(PATH_PREFIX) || http.isEmpty()) {
            return Optional.empty();
        }
        String token = path.substring(PATH_PREFIX.length());
        return Optional.ofNullable(http.get(new HttpKey(hostName(host), token)));
    }

    @Override
    public boolean anyPending() {
        return !alpn.isEmpty();
    }

    @Override
    public Optional<ValidationCertificate> forName(String sni) {
        if (sni == null || alpn.isEmpty()) {
            return Optional.empty();
        }
        String name = sni.toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        return Optional.ofNullable(alpn.get(name));
    }

    /** The name of a Host header: lower case, without a port or a final dot; IPv6 literals kept whole. */
    static String hostName(String host) {
        String h = host.trim();
        if (!h.startsWith("[")) {
            int colon = h.lastIndexOf(':');
            if (colon >= 0) {
                h = h.substring(0, colon);
            }
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h.toLowerCase(Locale.ROOT);
    }
}
