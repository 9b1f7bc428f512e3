package dev.portico.core.tls;

import java.nio.file.Path;

/** A certificate, key or other TLS file that cannot be used; the message names the file. */
public final class TlsException extends Exception {

    private final transient Path file;

    public TlsException(Path file, String message) {
        super(message);
        this.file = file;
    }

    public TlsException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /** The file at fault, or null when no single file is. */
    public Path file() {
        return file;
    }
}
