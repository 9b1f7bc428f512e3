package dev.portico.core.tls;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads PEM certificate chains and private keys (RSA or ECDSA; PKCS#1, SEC1 or PKCS#8) and checks
 * that they fit together, with messages that name the file: an encrypted key, a key that does not
 * match its certificate, a chain in the wrong order. An expired certificate is only a warning.
 */
public final class PemFiles {

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);

    private PemFiles() {
    }

    /** A chain, leaf first, and the leaf's key. */
    public record Loaded(List<X509Certificate> chain, PrivateKey key) {
        public Loaded {
            chain = List.copyOf(chain);
        }

        public X509Certificate leaf() {
            return chain.getFirst();
        }
    }

    /** Something worth a warning that does not stop the pair from being used. */
    public record Problem(Path file, String message) {
    }

    /**
     * Loads and checks a pair.
     *
     * @param now      the time certificates are checked against
     * @param warnings told of an expired (or not yet valid) certificate
     * @throws TlsException naming the file at fault
     */
    public static Loaded load(Path cert, Path key, Instant now, Consumer<Problem> warnings) throws TlsException {
        List<X509Certificate> chain = certificates(cert);
        PrivateKey privateKey = key(key);
        X509Certificate leaf = chain.getFirst();
        if (!matches(privateKey, leaf.getPublicKey())) {
            for (int i = 1; i < chain.size(); i++) {
                if (matches(privateKey, chain.get(i).getPublicKey())) {
                    throw new TlsException(cert, cert + ": the chain is in the wrong order: the certificate for key "
                            + key + " is number " + (i + 1) + " (" + chain.get(i).getSubjectX500Principal().getName()
                            + "); put it first, then each issuer");
                }
            }
            throw new TlsException(key, "key " + key + " does not match certificate " + cert + " ("
                    + leaf.getSubjectX500Principal().getName() + ")");
        }
        for (int i = 0; i + 1 < chain.size(); i++) {
            X509Certificate c = chain.get(i);
            X509Certificate issuer = chain.get(i + 1);
            if (!c.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
                throw new TlsException(cert, cert + ": the chain is in the wrong order: certificate " + (i + 2) + " ("
                        + issuer.getSubjectX500Principal().getName() + ") did not issue certificate " + (i + 1) + " ("
                        + c.getSubjectX500Principal().getName() + "), which names " + c.getIssuerX500Principal().getName()
                        + " as its issuer; put the server certificate first, then each issuer");
            }
        }
        for (X509Certificate c : chain) {
            if (c.getNotAfter().toInstant().isBefore(now)) {
                warnings.accept(new Problem(cert, "certificate " + c.getSubjectX500Principal().getName() + " in " + cert
                        + " expired on " + DATE.format(c.getNotAfter().toInstant())));
            } else if (c.getNotBefore().toInstant().isAfter(now)) {
                warnings.accept(new Problem(cert, "certificate " + c.getSubjectX500Principal().getName() + " in " + cert
                        + " is not valid before " + DATE.format(c.getNotBefore().toInstant())));
            }
        }
        return new Loaded(chain, privateKey);
    }

    /** The certificates of a PEM file, in file order; at least one. */
    public static List<X509Certificate> certificates(Path file) throws TlsException {
        List<X509Certificate> out = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            for (Object o = p.readObject(); o != null; o = p.readObject()) {
                if (o instanceof X509CertificateHolder h) {
                    out.add(converter.getCertificate(h));
                }
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new TlsException(file, "cannot read certificate file " + file + ": " + reason(e), e);
        }
        if (out.isEmpty()) {
            throw new TlsException(file, file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    /** The private key of a PEM file: RSA or EC, PKCS#1, SEC1 or PKCS#8, not encrypted. */
    public static PrivateKey key(Path file) throws TlsException {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        PrivateKey key = null;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            for (Object o = p.readObject(); o != null && key == null; o = p.readObject()) {
                if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw new TlsException(file, "key " + file + " is encrypted; Portico needs it without a passphrase"
                            + " (openssl pkey -in " + file + " -out KEY.pem)");
                }
                if (o instanceof PEMKeyPair pair) {
                    // SEC1 keys may leave the public key out, so only the private part is converted
                    key = converter.getPrivateKey(pair.getPrivateKeyInfo());
                } else if (o instanceof PrivateKeyInfo info) {
                    key = converter.getPrivateKey(info);
                }
            }
        } catch (TlsException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new TlsException(file, "cannot read key file " + file + ": " + reason(e), e);
        }
        if (key == null) {
            throw new TlsException(file, file + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
        }
        if (!key.getAlgorithm().equals("RSA") && !key.getAlgorithm().equals("EC")) {
            throw new TlsException(file, "key " + file + " is " + key.getAlgorithm() + "; use an RSA or ECDSA key");
        }
        return key;
    }

    /** True when {@code key} signs what {@code pub} verifies. */
    static boolean matches(PrivateKey key, PublicKey pub) {
        if (!key.getAlgorithm().equals(pub.getAlgorithm())) {
            return false;
        }
        String alg = key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        try {
            byte[] data = "portico key check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(data);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(data);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static String reason(Exception e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
