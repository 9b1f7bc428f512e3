package dev.portico.tunnel;

import dev.portico.core.tls.PemFiles;
import dev.portico.core.tls.TlsException;

import javax.net.ssl.SSLEngine;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The server's one key and certificate chain, handed to the QUIC TLS stack as they are. Netty's
 * {@code QuicSslContextBuilder.forServer(keyFile, password, certFile)} would put them into a
 * PKCS#12 key store and read them back through a {@code KeyManagerFactory}: the key is encrypted
 * and decrypted with PBKDF2 (10,000 HMAC-SHA256 rounds each way) on every start, and the JIT
 * then compiles that loop while the tunnel already carries traffic. Here nothing is encrypted;
 * BoringSSL takes the key from {@link #getPrivateKey} at the first handshake.
 */
final class IdentityKeyManager extends javax.net.ssl.X509ExtendedKeyManager {

    static final String ALIAS = "tunnel";

    private final PrivateKey key;
    private final X509Certificate[] chain;

    IdentityKeyManager(PrivateKey key, List<X509Certificate> chain) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("no certificate for the key");
        }
        this.key = key;
        this.chain = chain.toArray(X509Certificate[]::new);
    }

    /** The identity's PEM key and certificate files, read once. */
    static IdentityKeyManager of(ServerIdentity identity) throws TlsException {
        return new IdentityKeyManager(PemFiles.key(identity.key()), PemFiles.certificates(identity.cert()));
    }

    /**
     * Whether the key serves a TLS key type: its own algorithm ({@code EC}, {@code RSA}), or that
     * algorithm signed by itself ({@code EC_EC}), as a self-signed certificate is.
     */
    private boolean serves(String keyType) {
        String algorithm = key.getAlgorithm();
        return algorithm.equals(keyType) || (algorithm + "_" + algorithm).equals(keyType);
    }

    private String alias(String keyType) {
        return serves(keyType) ? ALIAS : null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return alias(keyType);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return alias(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return serves(keyType) ? new String[] {ALIAS} : null;
    }

    /** A server presents no client certificate. */
    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key : null;
    }
}
