package dev.portico.tunnel;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * The client's proof that it holds a session's token: HMAC-SHA256, keyed with the token, over
 * the protocol label, the session name, a fresh server nonce and the client's address as the
 * server sees it (3wdd's md5 challenge, made sound). Each part is length-prefixed, so no two
 * inputs run together.
 */
public final class TokenProof {

    public static final int NONCE_BYTES = 32;
    public static final int PROOF_BYTES = 32;
    private static final byte[] LABEL = "portico-tunnel/1 token proof".getBytes(StandardCharsets.US_ASCII);

    private TokenProof() {
    }

    /** A fresh nonce. */
    public static byte[] nonce(SecureRandom random) {
        byte[] n = new byte[NONCE_BYTES];
        random.nextBytes(n);
        return n;
    }

    /** The proof for a session, a nonce and the client address the server saw (as text, {@code ip:port}). */
    public static byte[] prove(String token, String session, byte[] nonce, String clientAddress) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            part(mac, LABEL);
            part(mac, session.getBytes(StandardCharsets.UTF_8));
            part(mac, nonce);
            part(mac, clientAddress.getBytes(StandardCharsets.UTF_8));
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Checks a proof in constant time. */
    public static boolean verify(String token, String session, byte[] nonce, String clientAddress, byte[] proof) {
        return MessageDigest.isEqual(prove(token, session, nonce, clientAddress), proof);
    }

    private static void part(Mac mac, byte[] bytes) {
        mac.update((byte) (bytes.length >>> 8));
        mac.update((byte) bytes.length);
        mac.update(bytes);
    }
}
