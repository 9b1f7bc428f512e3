package dev.portico.testing;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.StringWriter;
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
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A throw-away certificate authority for tests: issues server and client certificates with the
 * names asked for, writes them as PEM files, makes OCSP responses, and builds a client
 * {@link SSLContext} that trusts it.
 */
public final class TestPki {

    /** Key algorithms a certificate can have. */
    public enum KeyType { EC, RSA }

    /** How a key file is written. */
    public enum KeyFormat {
        /** {@code BEGIN PRIVATE KEY}. */
        PKCS8,
        /** {@code BEGIN RSA PRIVATE KEY} / {@code BEGIN EC PRIVATE KEY}. */
        TRADITIONAL,
        /** {@code BEGIN ENCRYPTED PRIVATE KEY}, password "secret". */
        ENCRYPTED
    }

    /**
     * A certificate written to disk.
     *
     * @param cert        the PEM chain file (leaf first)
     * @param key         the PEM key file
     * @param certificate the leaf
     * @param privateKey  its key
     */
    public record Issued(Path cert, Path key, X509Certificate certificate, PrivateKey privateKey) {
        public BigInteger serial() {
            return certificate.getSerialNumber();
        }
    }

    private final Path dir;
    private final String name;
    private final KeyPair caKeys;
    private final X509Certificate ca;
    private final Path caFile;
    private final AtomicLong serials = new AtomicLong(1000);

    /** A CA named {@code name} whose files go to {@code dir}. */
    public TestPki(Path dir, String name) {
        try {
            this.dir = Files.createDirectories(dir);
            this.name = name;
            this.caKeys = keys(KeyType.EC);
            Instant now = Instant.now();
            X500Name subject = new X500Name("CN=" + name);
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(1),
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(365))), subject,
                    caKeys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            this.ca = sign(b, caKeys.getPrivate());
            this.caFile = dir.resolve(name + "-ca.pem");
            Files.writeString(caFile, pem(ca));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public Path caFile() {
        return caFile;
    }

    public X509Certificate ca() {
        return ca;
    }

    /** A server certificate (EC, PKCS#8 key) for DNS names and IP addresses, valid now. */
    public Issued server(String file, String... names) {
        return issue(file, KeyType.EC, KeyFormat.PKCS8, Instant.now().minus(Duration.ofDays(1)),
                Instant.now().plus(Duration.ofDays(90)), names);
    }

    /**
     * Issues a certificate and writes {@code FILE.pem} (leaf then CA) and {@code FILE.key}.
     *
     * @param names DNS names, wildcards, or IP addresses; the first is also the CN
     */
    public Issued issue(String file, KeyType type, KeyFormat format, Instant notBefore, Instant notAfter, String... names) {
        try {
            KeyPair pair = keys(type);
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, BigInteger.valueOf(serials.incrementAndGet()),
                    Date.from(notBefore), Date.from(notAfter), new X500Name("CN=" + (names.length > 0 ? names[0] : file)),
                    pair.getPublic());
            List<GeneralName> sans = new ArrayList<>();
            for (String n : names) {
                sans.add(n.matches("[0-9.]+") || n.contains(":") ? new GeneralName(GeneralName.iPAddress, n)
                        : new GeneralName(GeneralName.dNSName, n));
            }
            if (!sans.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            }
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            X509Certificate leaf = sign(b, caKeys.getPrivate());
            Path cert = dir.resolve(file + ".pem");
            Path key = dir.resolve(file + ".key");
            Files.writeString(cert, pem(leaf) + pem(ca));
            Files.writeString(key, keyPem(pair.getPrivate(), format));
            return new Issued(cert, key, leaf, pair.getPrivate());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A DER OCSP response from this CA saying {@code cert} is good. */
    public byte[] ocspGood(X509Certificate cert) {
        try {
            CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                    new JcaX509CertificateHolder(ca), cert.getSerialNumber());
            X509CertificateHolder caHolder = new JcaX509CertificateHolder(ca);
            BasicOCSPRespBuilder b = new BasicOCSPRespBuilder(new RespID(caHolder.getSubject()));
            Date now = new Date();
            b.addResponse(id, CertificateStatus.GOOD, now, new Date(now.getTime() + 86_400_000L));
            var basic = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate()),
                    new X509CertificateHolder[]{caHolder}, now);
            OCSPResp resp = new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic);
            return resp.getEncoded();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client context that trusts this CA only. */
    public SSLContext clientContext() {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry(name, ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client context trusting the CA in a PEM file (a self-signed CA made by Portico, say). */
    public static SSLContext trusting(Path caPem) {
        try {
            var cf = java.security.cert.CertificateFactory.getInstance("X.509");
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            try (var in = Files.newInputStream(caPem)) {
                int i = 0;
                for (var c : cf.generateCertificates(in)) {
                    ks.setCertificateEntry("ca" + i++, c);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A client context that accepts any server certificate: for tests that look at the
     * certificate a server chose (as an ACME server checks a validation certificate itself).
     */
    public static SSLContext trustingAnything() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair keys(KeyType type) throws GeneralSecurityException {
        if (type == KeyType.RSA) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        }
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey key) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    }

    /** A PEM certificate. */
    public static String pem(Object o) throws IOException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(o);
        }
        return w.toString();
    }

    private static String keyPem(PrivateKey key, KeyFormat format) throws Exception {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            switch (format) {
                case TRADITIONAL -> {
                    if (key instanceof java.security.interfaces.ECPrivateKey ec) {
                        // SEC1 with the curve named and, as some tools write it, no public key
                        var params = org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(key.getEncoded())
                                .getPrivateKeyAlgorithm().getParameters();
                        p.writeObject(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY",
                                new org.bouncycastle.asn1.sec.ECPrivateKey(256, ec.getS(), params).getEncoded()));
                    } else {
                        p.writeObject(key);
                    }
                }
                case PKCS8 -> p.writeObject(new JcaPKCS8Generator(key, null));
                case ENCRYPTED -> p.writeObject(new JcaPKCS8Generator(key,
                        new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC).setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider())
                                .setPassword("secret".toCharArray()).build()));
            }
        }
        return w.toString();
    }

    /** Writes text to a file, for tests that replace certificate files. */
    public static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
