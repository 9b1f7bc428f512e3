package dev.portico.core.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads PEM certificate chains and private keys (RSA or ECDSA; PKCS#1, SEC1 or PKCS#8) and checks
 * that they fit together, with messages that name the file: an encrypted key, a key that does not
 * match its certificate, a chain in the wrong order. An expired certificate is only a warning.
 *
 * <p>Certificates and PKCS#8 keys ({@code BEGIN PRIVATE KEY}, what Portico, acme4j and {@code
 * openssl genpkey} write) are read with the JDK alone; the other key formats go to Bouncy Castle
 * ({@link BcPemKeys}), whose classes are then loaded for the first time: a start that reuses its
 * certificates does not load them (docs/decisions.md).
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
        try {
            CertificateFactory factory = null;
            for (Block b : blocks(Files.readString(file, StandardCharsets.ISO_8859_1))) {
                if (b.label().equals("CERTIFICATE")) {
                    if (factory == null) {
                        factory = CertificateFactory.getInstance("X.509");
                    }
                    out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der())));
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
        String text;
        try {
            text = Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new TlsException(file, "cannot read key file " + file + ": " + reason(e), e);
        }
        PrivateKey key = null;
        boolean other = false;
        try {
            for (Block b : blocks(text)) {
                switch (b.label()) {
                    case "PRIVATE KEY" -> key = pkcs8(b.der());
                    case "ENCRYPTED PRIVATE KEY" -> throw encrypted(file);
                    default -> other |= b.label().endsWith("PRIVATE KEY");
                }
                if (key != null) {
                    break;
                }
            }
        } catch (IllegalArgumentException e) {
            throw new TlsException(file, "cannot read key file " + file + ": " + reason(e), e);
        }
        if (key == null && other) {
            // PKCS#1 (BEGIN RSA PRIVATE KEY), SEC1 (BEGIN EC PRIVATE KEY), or encrypted with headers.
            key = BcPemKeys.key(file);
        }
        if (key == null) {
            throw new TlsException(file, file + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
        }
        if (!key.getAlgorithm().equals("RSA") && !key.getAlgorithm().equals("EC")) {
            throw new TlsException(file, "key " + file + " is " + key.getAlgorithm() + "; use an RSA or ECDSA key");
        }
        return key;
    }

    static TlsException encrypted(Path file) {
        return new TlsException(file, "key " + file + " is encrypted; Portico needs it without a passphrase"
                + " (openssl pkey -in " + file + " -out KEY.pem)");
    }

    /** A PKCS#8 key, as EC or RSA (the only algorithms Portico serves with). */
    private static PrivateKey pkcs8(byte[] der) {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        GeneralSecurityException last = null;
        for (String algorithm : new String[] {"EC", "RSA"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new IllegalArgumentException("not an RSA or ECDSA key in PKCS#8 form: " + reason(last), last);
    }

    /** One {@code -----BEGIN LABEL-----} ... {@code -----END LABEL-----} block, decoded. */
    private record Block(String label, byte[] der) {
    }

    /**
     * The PEM blocks of {@code text} in order. Text outside blocks (comments, {@code openssl x509
     * -text} output) is skipped; a block with headers (RFC 1421's {@code Proc-Type:}, an encrypted
     * key) keeps its label and no body.
     */
    private static List<Block> blocks(String text) {
        List<Block> out = new ArrayList<>();
        int at = 0;
        while (true) {
            int begin = text.indexOf("-----BEGIN ", at);
            if (begin < 0) {
                return out;
            }
            int labelEnd = text.indexOf("-----", begin + 11);
            if (labelEnd < 0) {
                return out;
            }
            String label = text.substring(begin + 11, labelEnd);
            String end = "-----END " + label + "-----";
            int endAt = text.indexOf(end, labelEnd + 5);
            if (endAt < 0) {
                throw new IllegalArgumentException("no '" + end + "' after '-----BEGIN " + label + "-----'");
            }
            String body = text.substring(labelEnd + 5, endAt);
            out.add(new Block(label, body.contains(":") ? new byte[0] : Base64.getMimeDecoder().decode(body)));
            at = endAt + end.length();
        }
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

    static String reason(Exception e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
