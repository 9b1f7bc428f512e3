package dev.portico.core.tls;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
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
import java.security.PrivateKey;

/**
 * The private key formats the JDK cannot read, through Bouncy Castle: PKCS#1 ({@code BEGIN RSA
 * PRIVATE KEY}), SEC1 ({@code BEGIN EC PRIVATE KEY}) and keys encrypted with RFC 1421 headers. Kept
 * apart from {@link PemFiles} so that its classes load only when such a key is read.
 */
final class BcPemKeys {

    private BcPemKeys() {
    }

    /** The first private key of {@code file}, or null when it holds none. */
    static PrivateKey key(Path file) throws TlsException {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            for (Object o = p.readObject(); o != null; o = p.readObject()) {
                if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw PemFiles.encrypted(file);
                }
                if (o instanceof PEMKeyPair pair) {
                    // SEC1 keys may leave the public key out, so only the private part is converted
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                } else if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
            }
            return null;
        } catch (IOException | RuntimeException e) {
            throw new TlsException(file, "cannot read key file " + file + ": " + PemFiles.reason(e), e);
        }
    }
}
