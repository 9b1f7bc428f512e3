package dev.portico.acme;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * The self-signed certificate of RFC 8737 section 3: the name as its only subjectAltName and the
 * critical acmeIdentifier extension holding the SHA-256 digest of the key authorization. Made
 * here, with an ECDSA P-256 key from the JDK, since acme4j's own helper signs EC keys only when
 * BouncyCastle is registered as a JCA provider.
 */
final class ValidationCertificates {

    /** id-pe-acmeIdentifier. */
    static final ASN1ObjectIdentifier ACME_IDENTIFIER = new ASN1ObjectIdentifier("1.3.6.1.5.5.7.1.31");

    private static final SecureRandom RANDOM = new SecureRandom();

    private ValidationCertificates() {
    }

    /**
     * A validation certificate and its key.
     *
     * @param name          the DNS name being validated
     * @param acmeValidation the SHA-256 digest of the key authorization (acme4j's {@code getAcmeValidation()})
     */
    static TlsAlpn01Certificates.ValidationCertificate create(String name, byte[] acmeValidation) {
        KeyPair key = Keys.ecP256();
        Instant now = Instant.now();
        try {
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=acme.invalid"),
                    new BigInteger(64, RANDOM).add(BigInteger.ONE), Date.from(now.minus(Duration.ofDays(1))),
                    Date.from(now.plus(Duration.ofDays(7))), new X500Name("CN=acme.invalid"), key.getPublic());
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, name)));
            b.addExtension(ACME_IDENTIFIER, true, new DEROctetString(acmeValidation));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
            return new TlsAlpn01Certificates.ValidationCertificate(key.getPrivate(), cert);
        } catch (CertIOException | OperatorCreationException | CertificateException e) {
            throw new IllegalStateException("cannot make a TLS-ALPN-01 certificate for " + name, e);
        }
    }
}
