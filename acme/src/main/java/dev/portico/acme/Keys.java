package dev.portico.acme;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;

/** Key pairs from the JDK's own providers (acme4j's KeyPairUtils needs BouncyCastle registered as a JCA provider). */
final class Keys {

    private Keys() {
    }

    /** A new ECDSA P-256 key pair. */
    static KeyPair ecP256() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot make P-256 keys", e);
        }
    }
}
