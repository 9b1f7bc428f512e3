package dev.portico.core.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;

/**
 * Issues {@link SelfSigned}'s development CA and its server certificates with Bouncy Castle
 * (ECDSA P-256). Apart from {@code SelfSigned} so that reusing the files loads none of its classes.
 */
final class SelfSignedIssuer {

    private static final Duration CA_LIFETIME = Duration.ofDays(3650);
    private static final Duration LEAF_LIFETIME = Duration.ofDays(365);

    /** A certificate and its key. */
    record Pair(X509Certificate certificate, PrivateKey key) {
    }

    private SelfSignedIssuer() {
    }

    /** A new CA, valid from a minute before {@code now} for ten years. */
    static Pair ca(Instant now) throws GeneralSecurityException {
        KeyPair pair = newKey();
        X500Name subject = new X500Name("CN=Portico development CA " + Long.toHexString(now.toEpochMilli()));
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minusSeconds(60)),
                Date.from(now.plus(CA_LIFETIME)), subject, pair.getPublic());
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
        } catch (CertIOException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
        return new Pair(sign(b, pair.getPrivate()), pair.getPrivate());
    }

    /** A server certificate for {@code names}, issued by {@code ca}, valid for a year. */
    static Pair leaf(X509Certificate ca, PrivateKey caKey, Set<String> names, Instant now) throws GeneralSecurityException {
        KeyPair pair = newKey();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial(), Date.from(now.minusSeconds(60)),
                Date.from(now.plus(LEAF_LIFETIME)), new X500Name("CN=" + SelfSigned.commonName(names)), pair.getPublic());
        List<GeneralName> sans = new ArrayList<>();
        for (String n : names) {
            sans.add(SelfSigned.isAddress(n) ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n));
        }
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
        } catch (CertIOException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
        return new Pair(sign(b, caKey), pair.getPrivate());
    }

    private static KeyPair newKey() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(120, new SecureRandom()).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }
}
