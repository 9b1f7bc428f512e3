package dev.portico.core.tls;

import java.io.IOException;

/**
 * A {@code tls:} section that cannot be used: a file that is missing, unreadable or holds no
 * usable PEM, or a client key that does not match its certificate. It names the setting at fault,
 * so that a config reader can point at its line.
 */
public final class ClientTlsException extends IOException {

    private final String key;

    /**
     * @param key     the setting at fault: {@code ca}, {@code client_cert} or {@code client_key}
     * @param message what is wrong, naming the file
     */
    public ClientTlsException(String key, String message) {
        super(message);
        this.key = key;
    }

    /** The setting at fault: {@code ca}, {@code client_cert} or {@code client_key}. */
    public String key() {
        return key;
    }
}
