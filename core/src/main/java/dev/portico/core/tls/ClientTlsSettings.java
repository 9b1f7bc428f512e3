package dev.portico.core.tls;

import java.nio.file.Path;

/**
 * How Portico talks TLS to a server it connects to (a proxy backend, a health check): the
 * {@code tls:} section of a pool or a backend.
 *
 * @param ca         PEM file of the certificates trusted to sign the server's; null for the JDK's trust store
 * @param verify     whether the server's certificate chain and name are verified (true unless turned off)
 * @param sni        the name sent in the ClientHello and checked against the certificate; null for the
 *                   server's host name (an IP literal then sends none and is checked against the
 *                   certificate's IP addresses)
 * @param clientCert PEM chain presented when the server asks for a client certificate; null for none
 * @param clientKey  PEM private key (unencrypted PKCS#8) of {@code clientCert}; null when it is null
 */
public record ClientTlsSettings(Path ca, boolean verify, String sni, Path clientCert, Path clientKey) {

    /** TLS with the JDK's trust store, verification on, SNI from the host name, no client certificate. */
    public static final ClientTlsSettings DEFAULTS = new ClientTlsSettings(null, true, null, null, null);

    /** Validates the components. */
    public ClientTlsSettings {
        if ((clientCert == null) != (clientKey == null)) {
            throw new IllegalArgumentException("client_cert and client_key go together: give both or neither");
        }
        if (sni != null && (sni.isBlank() || sni.chars().anyMatch(c -> c <= ' ' || c == '/' || c >= 0x7f))) {
            throw new IllegalArgumentException("sni: '" + sni + "' is not a host name");
        }
    }

    /** A builder starting from {@link #DEFAULTS}. */
    public static Builder builder() {
        return new Builder(DEFAULTS);
    }

    /** A builder starting from these settings, to override some of them. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * The name a connection to {@code host} sends and verifies: {@link #sni()} when set, else the host.
     *
     * @param host the server's host name or IP literal
     * @return the name
     */
    public String peerName(String host) {
        return sni != null ? sni : host;
    }

    /** Builds {@link ClientTlsSettings}. */
    public static final class Builder {
        private Path ca;
        private boolean verify;
        private String sni;
        private Path clientCert;
        private Path clientKey;

        private Builder(ClientTlsSettings from) {
            ca = from.ca;
            verify = from.verify;
            sni = from.sni;
            clientCert = from.clientCert;
            clientKey = from.clientKey;
        }

        /** Trusts the certificates of a PEM file instead of the JDK's trust store; null for the JDK's. */
        public Builder ca(Path value) {
            ca = value;
            return this;
        }

        /** Turns verification of the server's certificate and name on (the default) or off. */
        public Builder verify(boolean value) {
            verify = value;
            return this;
        }

        /** The name sent and verified; null for the server's host name. */
        public Builder sni(String value) {
            sni = value;
            return this;
        }

        /** A client certificate (PEM chain) and its key (PEM); both null for none. */
        public Builder clientCertificate(Path cert, Path key) {
            clientCert = cert;
            clientKey = key;
            return this;
        }

        /** Builds the settings. */
        public ClientTlsSettings build() {
            return new ClientTlsSettings(ca, verify, sni, clientCert, clientKey);
        }
    }
}
