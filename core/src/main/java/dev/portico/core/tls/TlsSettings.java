package dev.portico.core.tls;

import dev.portico.core.net.HostPort;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything a {@code tls:} section can set, from a config file ({@link TlsSettingsReader}) or
 * from {@link #builder()}.
 *
 * @param certificates     certificate chains with their keys; the first is the default for clients
 *                         whose SNI matches none (or who send none)
 * @param protocols        enabled protocol versions, such as {@code TLSv1.2}, {@code TLSv1.3}
 * @param ciphers          TLS 1.2 cipher suites in IANA or OpenSSL spelling, in order of preference
 * @param alpn             protocols offered through ALPN, in order of preference
 * @param ticketKeyFile    session ticket keys in nginx's 48-byte format, or null for random keys
 *                         rotated every 12 hours
 * @param ocsp             a DER OCSP response stapled to handshakes, or null
 * @param clientCa         CA certificates (PEM) that client certificates must chain to, or null
 * @param verify           whether a client certificate is required when {@code clientCa} is set
 * @param handshakeTimeout how long a connection may take from accept to a finished handshake
 * @param redirectHttp     a plain listener that answers 308 to the https URL, or null
 * @param hsts             max-age of Strict-Transport-Security on TLS responses, or null for none
 * @param selfSigned       true to make (and keep) a development CA and a certificate for the listen
 *                         names when {@code certificates} is empty
 */
public record TlsSettings(List<CertificateFiles> certificates, List<String> protocols, List<String> ciphers,
                          List<String> alpn, Path ticketKeyFile, Path ocsp, Path clientCa, ClientAuth verify,
                          Duration handshakeTimeout, HostPort redirectHttp, Duration hsts, boolean selfSigned) {

    /** TLS 1.2 and 1.3. */
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");

    /**
     * Mozilla's "intermediate" TLS 1.2 suites (ECDHE and DHE with AES-GCM or ChaCha20-Poly1305):
     * no RC4, 3DES, export, NULL or CBC suites.
     */
    public static final List<String> DEFAULT_CIPHERS = List.of(
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /** HTTP/2 first, then HTTP/1.1. */
    public static final List<String> DEFAULT_ALPN = List.of("h2", "http/1.1");

    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    /** Whether a client certificate is asked for. */
    public enum ClientAuth {
        /** No client certificate is asked for. */
        NONE,
        /** Asked for; a client without one is let in, a client with a bad one is refused. */
        OPTIONAL,
        /** A client without a valid certificate is refused. */
        REQUIRED
    }

    /**
     * A certificate chain and its key.
     *
     * @param cert PEM chain, leaf first
     * @param key  PEM private key (RSA or ECDSA, PKCS#1 or PKCS#8, not encrypted)
     */
    public record CertificateFiles(Path cert, Path key) {
        public CertificateFiles {
            Objects.requireNonNull(cert, "cert");
            Objects.requireNonNull(key, "key");
        }
    }

    public TlsSettings {
        certificates = List.copyOf(certificates);
        protocols = List.copyOf(protocols);
        ciphers = List.copyOf(ciphers);
        alpn = List.copyOf(alpn);
        Objects.requireNonNull(verify, "verify");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        if (certificates.isEmpty() && !selfSigned) {
            throw new IllegalArgumentException("tls needs 'certificates' or 'self_signed: true'");
        }
        if (clientCa == null && verify != ClientAuth.NONE) {
            throw new IllegalArgumentException("tls 'verify' needs 'client_ca'");
        }
    }

    /** The files whose change means a reload: certificates, keys, OCSP response, ticket keys, client CA. */
    public List<Path> watchedFiles() {
        List<Path> out = new ArrayList<>();
        for (CertificateFiles c : certificates) {
            out.add(c.cert());
            out.add(c.key());
        }
        for (Path p : new Path[]{ocsp, ticketKeyFile, clientCa}) {
            if (p != null) {
                out.add(p);
            }
        }
        return out;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that can set everything the {@code tls:} section can. */
    public static final class Builder {
        private final List<CertificateFiles> certificates = new ArrayList<>();
        private List<String> protocols = DEFAULT_PROTOCOLS;
        private List<String> ciphers = DEFAULT_CIPHERS;
        private List<String> alpn = DEFAULT_ALPN;
        private Path ticketKeyFile;
        private Path ocsp;
        private Path clientCa;
        private ClientAuth verify = ClientAuth.NONE;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private HostPort redirectHttp;
        private Duration hsts;
        private boolean selfSigned;

        public Builder certificate(Path cert, Path key) {
            certificates.add(new CertificateFiles(cert, key));
            return this;
        }

        public Builder protocols(List<String> protocols) {
            this.protocols = protocols;
            return this;
        }

        public Builder ciphers(List<String> ciphers) {
            this.ciphers = ciphers;
            return this;
        }

        public Builder alpn(List<String> alpn) {
            this.alpn = alpn;
            return this;
        }

        public Builder ticketKeyFile(Path file) {
            this.ticketKeyFile = file;
            return this;
        }

        public Builder ocsp(Path file) {
            this.ocsp = file;
            return this;
        }

        /** Asks clients for a certificate chaining to {@code caFile}; {@code verify} must not be NONE. */
        public Builder clientCa(Path caFile, ClientAuth verify) {
            this.clientCa = caFile;
            this.verify = verify;
            return this;
        }

        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = timeout;
            return this;
        }

        public Builder redirectHttp(HostPort listen) {
            this.redirectHttp = listen;
            return this;
        }

        public Builder hsts(Duration maxAge) {
            this.hsts = maxAge;
            return this;
        }

        public Builder selfSigned(boolean on) {
            this.selfSigned = on;
            return this;
        }

        public TlsSettings build() {
            return new TlsSettings(certificates, protocols, ciphers, alpn, ticketKeyFile, ocsp, clientCa, verify,
                    handshakeTimeout, redirectHttp, hsts, selfSigned);
        }
    }
}
