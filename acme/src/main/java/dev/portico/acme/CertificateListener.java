package dev.portico.acme;

/**
 * Told each time a name gets a certificate and key: once for each pair loaded from disk when
 * {@link CertificateManager#start()} runs, then for each pair newly obtained and stored (the files
 * are complete and matching when it is called). A TLS layer swaps the pair in for new handshakes.
 * Runs on the manager's scheduler thread; it should not block for long.
 */
@FunctionalInterface
public interface CertificateListener {

    void stored(IssuedCertificate certificate);
}
