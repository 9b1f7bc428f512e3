package dev.portico.acme;

import dev.portico.core.config.AtomicFiles;
import org.shredzone.acme4j.util.KeyPairUtils;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The files of one ACME directory under the state directory:
 *
 * <pre>
 * STATE_DIR/acme/HOST[_PORT]-PATH/account.key          the account's key pair (0600)
 * STATE_DIR/acme/HOST[_PORT]-PATH/certs/NAME/key.pem   the name's private key, PKCS#8 (0600)
 * STATE_DIR/acme/HOST[_PORT]-PATH/certs/NAME/cert.pem  its chain, leaf first (0644)
 * </pre>
 *
 * Directories are made mode 0700. Every file is replaced atomically; a new pair is written key
 * first, then chain, so a reader that checks the pair matches never takes a half-written one.
 */
final class CertificateStore {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> READABLE = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");

    private final Path root;

    /** @param stateDir the process's state directory; its {@code acme} directory holds one directory per ACME directory URL */
    CertificateStore(Path stateDir, URI directory) {
        this.root = stateDir.resolve("acme").resolve(directoryId(directory));
    }

    /** A file name for a directory URL: {@code acme-v02.api.letsencrypt.org-directory}, {@code 127.0.0.1_14000-dir}. */
    static String directoryId(URI directory) {
        StringBuilder sb = new StringBuilder(directory.getHost().toLowerCase(Locale.ROOT));
        if (directory.getPort() != -1) {
            sb.append('_').append(directory.getPort());
        }
        String path = directory.getPath() == null ? "" : directory.getPath();
        for (String part : path.split("/")) {
            if (!part.isEmpty()) {
                sb.append('-').append(part);
            }
        }
        return sb.toString().replaceAll("[^A-Za-z0-9._-]", "_");
    }

    Path root() {
        return root;
    }

    Path accountKeyFile() {
        return root.resolve("account.key");
    }

    Path certFile(String name) {
        return root.resolve("certs").resolve(name).resolve("cert.pem");
    }

    Path keyFile(String name) {
        return root.resolve("certs").resolve(name).resolve("key.pem");
    }

    /** The account key pair, made and stored on first use. */
    KeyPair accountKey() throws IOException {
        Path file = accountKeyFile();
        if (Files.exists(file)) {
            try (StringReader r = new StringReader(Files.readString(file, StandardCharsets.US_ASCII))) {
                return KeyPairUtils.readKeyPair(r);
            } catch (IOException | RuntimeException e) {
                throw new IOException(file + ": not a key pair: " + e.getMessage(), e);
            }
        }
        KeyPair pair = Keys.ecP256();
        StringWriter w = new StringWriter();
        KeyPairUtils.writeKeyPair(pair, w);
        writeSecret(file, w.toString());
        return pair;
    }

    /**
     * The stored pair of a name.
     *
     * @return the pair, or null when none is stored
     * @throws IOException with the file and the reason when a stored pair cannot be used (broken,
     *                     not matching, or not for this name)
     */
    IssuedCertificate load(String name) throws IOException {
        Path certFile = certFile(name);
        Path keyFile = keyFile(name);
        if (!Files.exists(certFile) && !Files.exists(keyFile)) {
            return null;
        }
        List<X509Certificate> chain;
        PrivateKey key;
        try {
            chain = Pem.readCertificates(Files.readString(certFile, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new IOException(certFile + ": " + e.getMessage(), e);
        }
        try {
            key = Pem.readPrivateKey(Files.readString(keyFile, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new IOException(keyFile + ": " + e.getMessage(), e);
        }
        if (!Pem.matches(key, chain.getFirst().getPublicKey())) {
            throw new IOException(keyFile + " does not match the certificate in " + certFile);
        }
        if (!coversName(chain.getFirst(), name)) {
            throw new IOException(certFile + " is not a certificate for " + name);
        }
        return new IssuedCertificate(name, key, chain, certFile, keyFile);
    }

    /** When a stored chain was written. */
    Instant storedAt(String name) throws IOException {
        return Files.getLastModifiedTime(certFile(name)).toInstant();
    }

    /** Stores a new pair, replacing the old one: key first, then the chain. */
    IssuedCertificate save(String name, PrivateKey key, List<X509Certificate> chain) throws IOException {
        Path certFile = certFile(name);
        Path keyFile = keyFile(name);
        writeSecret(keyFile, Pem.privateKey(key));
        String pem;
        try {
            pem = Pem.certificates(chain);
        } catch (CertificateException e) {
            throw new IOException("cannot encode the certificate of " + name + ": " + e.getMessage(), e);
        }
        AtomicFiles.write(certFile, pem);
        setPermissions(certFile, READABLE);
        return new IssuedCertificate(name, key, chain, certFile, keyFile);
    }

    private void writeSecret(Path file, String text) throws IOException {
        makeDirectories(file.getParent());
        if (Files.exists(file)) {
            // AtomicFiles gives the new file the old one's mode: make that owner-only first.
            setPermissions(file, OWNER_ONLY);
        }
        AtomicFiles.write(file, text);
        setPermissions(file, OWNER_ONLY);
    }

    private static void makeDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.getParent();
        if (parent != null) {
            makeDirectories(parent);
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIRECTORY));
        } catch (UnsupportedOperationException e) {
            Files.createDirectory(dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // made in the meantime
        }
    }

    private static void setPermissions(Path file, Set<PosixFilePermission> perms) throws IOException {
        try {
            Files.setPosixFilePermissions(file, perms);
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
    }

    /** True when the certificate's DNS subjectAltNames hold {@code name}. */
    static boolean coversName(X509Certificate cert, String name) {
        try {
            var sans = cert.getSubjectAlternativeNames();
            if (sans == null) {
                return false;
            }
            for (List<?> san : sans) {
                if (Integer.valueOf(2).equals(san.get(0)) && name.equalsIgnoreCase(String.valueOf(san.get(1)))) {
                    return true;
                }
            }
            return false;
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
    }
}
