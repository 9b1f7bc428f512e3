package dev.portico.tunnel;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;

/**
 * SHA-256 fingerprints of certificates, over their DER, as Netty's
 * {@code FingerprintTrustManagerFactory} computes them. Written as 64 lower-case hex digits; read
 * with or without colons, in either case, with an optional {@code sha256:} prefix.
 */
public final class Fingerprints {

    private Fingerprints() {
    }

    /** The fingerprint of a certificate. */
    public static String of(X509Certificate cert) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot fingerprint the certificate: " + e.getMessage(), e);
        }
    }

    /**
     * The canonical form of a written fingerprint.
     *
     * @throws IllegalArgumentException when it is not 32 bytes of hex
     */
    public static String normalize(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("sha256:") || t.startsWith("sha-256:")) {
            t = t.substring(t.indexOf(':') + 1);
        }
        t = t.replace(":", "");
        if (!t.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("'" + text + "' is not a SHA-256 fingerprint (64 hex digits)");
        }
        return t;
    }
}
