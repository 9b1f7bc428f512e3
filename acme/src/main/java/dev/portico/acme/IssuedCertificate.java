package dev.portico.acme;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A certificate a name holds: its key, its chain (leaf first, as the CA sent it) and the files
 * they are stored in (the key file is mode 0600).
 *
 * @param name     the DNS name
 * @param key      the private key
 * @param chain    leaf first, then the intermediates
 * @param certFile the PEM chain on disk
 * @param keyFile  the PEM key (PKCS#8) on disk
 */
public record IssuedCertificate(String name, PrivateKey key, List<X509Certificate> chain, Path certFile, Path keyFile) {

    public IssuedCertificate {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(key, "key");
        chain = List.copyOf(chain);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("empty chain");
        }
    }

    /** The leaf certificate. */
    public X509Certificate leaf() {
        return chain.getFirst();
    }

    public Instant notBefore() {
        return leaf().getNotBefore().toInstant();
    }

    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }

    public BigInteger serial() {
        return leaf().getSerialNumber();
    }

    @Override
    public String toString() {
        return "IssuedCertificate[" + name + ", serial " + serial().toString(16) + ", until " + notAfter() + "]";
    }
}
