package dev.portico.testing;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Certificates made in a test with BouncyCastle (ECDSA P-256): a CA, server and client
 * certificates it signs (valid, expired, for other names), self-signed ones, written as PEM files
 * for Portico's config and as JDK {@link SSLContext}s for test servers.
 */
public final class BackendCerts {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private BackendCerts() {
    }

    /** A certificate with its key and chain (leaf first). */
    public record Issued(PrivateKey key, X509Certificate[] chain) {

        /** The leaf certificate. */
        public X509Certificate cert() {
            return chain[0];
        }

        /** Writes the chain as PEM to {@code file}. */
        public Path writeCert(Path file) {
            StringBuilder sb = new StringBuilder();
            for (X509Certificate c : chain) {
                sb.append(pem(c));
            }
            return write(file, sb.toString());
        }

        /** Writes the key as an unencrypted PKCS#8 PEM block to {@code file}. */
        public Path writeKey(Path file) {
            return write(file, pem("PRIVATE KEY", key.getEncoded()));
        }

        /**
         * A server context presenting this certificate; with {@code clientCa}, it can check client
         * certificates signed by it.
         */
        public SSLContext serverContext(X509Certificate clientCa) {
            try {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("key", key, new char[0], chain);
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, new char[0]);
                TrustManagerFactory tmf = null;
                if (clientCa != null) {
                    KeyStore ts = KeyStore.getInstance("PKCS12");
                    ts.load(null, null);
                    ts.setCertificateEntry("ca", clientCa);
                    tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                    tmf.init(ts);
                }
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
                return ctx;
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException("cannot make a server context: " + e.getMessage(), e);
            }
        }
    }

    /** A certificate authority that signs server and client certificates. */
    public static final class Authority {
        private final KeyPair keys;
        private final X509Certificate cert;
        private final X500Name name;

        private Authority(String cn) {
            keys = keyPair();
            name = new X500Name("CN=" + cn);
            Instant now = Instant.now();
            cert = sign(name, keys.getPrivate(), name, keys, now.minus(Duration.ofDays(1)),
                    now.plus(Duration.ofDays(30)), true, null, new String[0]);
        }

        /** The CA's own certificate. */
        public X509Certificate cert() {
            return cert;
        }

        /** Writes the CA's certificate as PEM to {@code file}. */
        public Path writeCert(Path file) {
            return write(file, pem(cert));
        }

        /** A server certificate for {@code names} (DNS names or IP literals), valid now. */
        public Issued server(String... names) {
            Instant now = Instant.now();
            return issue(now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)), KeyPurposeId.id_kp_serverAuth,
                    names);
        }

        /** A server certificate for {@code names} that expired yesterday. */
        public Issued expiredServer(String... names) {
            Instant now = Instant.now();
            return issue(now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)), KeyPurposeId.id_kp_serverAuth,
                    names);
        }

        /** A client certificate for {@code cn}, valid now. */
        public Issued client(String cn) {
            Instant now = Instant.now();
            return issue(now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)), KeyPurposeId.id_kp_clientAuth,
                    cn);
        }

        private Issued issue(Instant from, Instant to, KeyPurposeId purpose, String... names) {
            KeyPair leaf = keyPair();
            X509Certificate c = sign(name, keys.getPrivate(), new X500Name("CN=" + names[0]), leaf, from, to, false,
                    purpose, names);
            return new Issued(leaf.getPrivate(), new X509Certificate[] {c, cert});
        }
    }

    /** A new CA named {@code cn}. */
    public static Authority authority(String cn) {
        return new Authority(cn);
    }

    /** A self-signed server certificate for {@code names}, valid now. */
    public static Issued selfSigned(String... names) {
        KeyPair keys = keyPair();
        X500Name n = new X500Name("CN=" + names[0]);
        Instant now = Instant.now();
        X509Certificate c = sign(n, keys.getPrivate(), n, keys, now.minus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(30)), false, KeyPurposeId.id_kp_serverAuth, names);
        return new Issued(keys.getPrivate(), new X509Certificate[] {c});
    }

    private static KeyPair keyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(256);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(X500Name issuer, PrivateKey issuerKey, X500Name subject, KeyPair subjectKeys,
                                        Instant from, Instant to, boolean ca, KeyPurposeId purpose, String[] names) {
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer,
                    BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(from), Date.from(to), subject,
                    subjectKeys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ca) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
                GeneralName[] alt = new GeneralName[names.length];
                for (int i = 0; i < names.length; i++) {
                    boolean ip = names[i].indexOf(':') >= 0 || names[i].chars().allMatch(c -> c == '.' || Character.isDigit(c));
                    alt[i] = new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, names[i]);
                }
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alt));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
        } catch (Exception e) {
            throw new IllegalStateException("cannot make a certificate: " + e.getMessage(), e);
        }
    }

    private static String pem(X509Certificate c) {
        try {
            return pem("CERTIFICATE", c.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static Path write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.US_ASCII);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
