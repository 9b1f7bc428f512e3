package dev.portico.acme;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;

/**
 * The TLS-ALPN-01 validation certificates (RFC 8737) a TLS listener serves, while an order is
 * pending, to a ClientHello that offers only the ALPN protocol {@code acme-tls/1};
 * {@link TlsAlpn01Handler} does that in a Netty pipeline.
 */
@FunctionalInterface
public interface TlsAlpn01Certificates {

    /** The ALPN protocol an ACME server offers when it validates TLS-ALPN-01. */
    String ACME_TLS_1 = "acme-tls/1";

    /**
     * The validation certificate for a name, if a challenge for it is pending.
     *
     * @param sni the server name the ClientHello asks for (any case)
     */
    Optional<ValidationCertificate> forName(String sni);

    /**
     * False when no TLS-ALPN-01 challenge is pending at all: a listener may then leave
     * {@link TlsAlpn01Handler} out of a new connection's pipeline (an ACME server's validation
     * always comes on a new connection, after the challenge was published).
     */
    default boolean anyPending() {
        return true;
    }

    /**
     * A self-signed certificate carrying the acmeIdentifier extension, and its key.
     *
     * @param key         the certificate's private key
     * @param certificate the certificate
     */
    record ValidationCertificate(PrivateKey key, X509Certificate certificate) {
        public ValidationCertificate {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(certificate, "certificate");
        }
    }
}
