package dev.portico.tunnel;

import dev.portico.core.tls.PemFiles;
import dev.portico.core.tls.SelfSigned;
import dev.portico.core.tls.TlsException;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;

/**
 * A tunnel server's certificate: made (ECDSA P-256, by core's {@link SelfSigned}) on first start
 * under {@code <state_dir>/tunnel/<service>/} and kept there, so its fingerprint stays what the
 * clients pin. It is made again only when it nears its expiry (a year, renewed 30 days before);
 * the start banner and {@code portico tunnel fingerprint} print the fingerprint.
 *
 * @param cert        the certificate file
 * @param key         its key
 * @param fingerprint SHA-256 of the certificate's DER, lower-case hex
 */
public record ServerIdentity(Path cert, Path key, String fingerprint) {

    /** Where a service's certificate lives. */
    public static Path directory(Path stateDir, String service) {
        return stateDir.resolve("tunnel").resolve(service);
    }

    /**
     * Makes or reuses the certificate of a service.
     *
     * @throws TlsException when the directory cannot be written or read
     */
    public static ServerIdentity ensure(Path stateDir, String service, Clock clock) throws TlsException {
        SelfSigned.Issued issued = SelfSigned.ensure(directory(stateDir, service), List.of(), clock);
        X509Certificate leaf = PemFiles.certificates(issued.cert()).getFirst();
        return new ServerIdentity(issued.cert(), issued.key(), Fingerprints.of(leaf));
    }
}
