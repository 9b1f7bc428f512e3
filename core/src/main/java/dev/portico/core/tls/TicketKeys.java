package dev.portico.core.tls;

import io.netty.handler.ssl.OpenSslSessionTicketKey;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Session ticket keys: either read from a file in nginx's format (each key 48 bytes: 16 of name,
 * 16 of HMAC secret, 16 of AES key; the first encrypts, all decrypt) or made at random and
 * rotated, the previous key kept so that tickets issued before a rotation still resume.
 */
final class TicketKeys {

    static final int KEY_SIZE = 48;

    private final SecureRandom random;
    private OpenSslSessionTicketKey current;
    private OpenSslSessionTicketKey previous;

    TicketKeys(SecureRandom random) {
        this.random = random;
        rotate();
    }

    /** A new random key encrypts from now on; the one before still decrypts. */
    synchronized void rotate() {
        previous = current;
        byte[] k = new byte[KEY_SIZE];
        random.nextBytes(k);
        current = key(k, 0);
    }

    /** The random keys, newest (encrypting) first. */
    synchronized OpenSslSessionTicketKey[] keys() {
        return previous == null ? new OpenSslSessionTicketKey[]{current}
                : new OpenSslSessionTicketKey[]{current, previous};
    }

    /** Reads a ticket key file: one or more 48-byte keys, the first encrypting. */
    static OpenSslSessionTicketKey[] readFile(Path file) throws TlsException {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new TlsException(file, "cannot read ticket key file " + file + ": " + e.getMessage(), e);
        }
        if (all.length == 0 || all.length % KEY_SIZE != 0) {
            throw new TlsException(file, "ticket key file " + file + " holds " + all.length
                    + " bytes; it needs one or more 48-byte keys, as nginx reads them (make one with: openssl rand 48 > "
                    + file + ")");
        }
        List<OpenSslSessionTicketKey> keys = new ArrayList<>();
        for (int off = 0; off < all.length; off += KEY_SIZE) {
            keys.add(key(all, off));
        }
        Arrays.fill(all, (byte) 0);
        return keys.toArray(OpenSslSessionTicketKey[]::new);
    }

    private static OpenSslSessionTicketKey key(byte[] b, int off) {
        return new OpenSslSessionTicketKey(Arrays.copyOfRange(b, off, off + 16),
                Arrays.copyOfRange(b, off + 16, off + 32), Arrays.copyOfRange(b, off + 32, off + 48));
    }
}
