package dev.portico.core.tls;


import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * A development CA and a certificate it issues for the listen names, {@code localhost},
 * {@code 127.0.0.1} and {@code ::1}, made with BouncyCastle (ECDSA P-256) and kept in a directory
 * ({@code <state_dir>/tls/self-signed/}): {@code ca.pem}, {@code ca.key}, {@code cert.pem},
 * {@code key.pem}, keys readable by the owner only. They are reused across restarts; the
 * certificate is made again when the names change or it nears its expiry, the CA only when it
 * nears its own. Clients trust {@code ca.pem} ({@code curl --cacert}). Reusing them takes the JDK
 * alone; Bouncy Castle's classes load only to issue ({@link SelfSignedIssuer}).
 */
public final class SelfSigned {

    /** A certificate is made again when less than this is left of it. */
    static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private SelfSigned() {
    }

    /**
     * Where the files are.
     *
     * @param caCert the CA certificate clients are told to trust
     * @param cert   the server certificate
     * @param key    its key
     */
    public record Issued(Path caCert, Path cert, Path key) {
    }

    /** The directory under a state directory: {@code STATE/tls/self-signed}. */
    public static Path directory(Path stateDir) {
        return stateDir.resolve("tls").resolve("self-signed");
    }

    /**
     * Makes or reuses the CA and the certificate for {@code names} in {@code dir}.
     *
     * @throws TlsException when the directory cannot be written
     */
    public static synchronized Issued ensure(Path dir, Collection<String> names, Clock clock) throws TlsException {
        Path caCert = dir.resolve("ca.pem");
        Path caKey = dir.resolve("ca.key");
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Instant now = clock.instant();
        Set<String> wanted = wantedNames(names);
        try {
            Files.createDirectories(dir);
            restrict(dir, "rwx------");
            X509Certificate ca;
            PrivateKey caPrivate;
            try {
                ca = PemFiles.certificates(caCert).getFirst();
                caPrivate = PemFiles.key(caKey);
                if (ca.getNotAfter().toInstant().isBefore(now.plus(RENEW_BEFORE))
                        || !PemFiles.matches(caPrivate, ca.getPublicKey())) {
                    ca = null;
                    caPrivate = null;
                }
            } catch (TlsException e) {
                ca = null;
                caPrivate = null;
            }
            if (ca != null && leafStillGood(cert, key, ca, wanted, now)) {
                return new Issued(caCert, cert, key);
            }
            if (ca == null) {
                SelfSignedIssuer.Pair made = SelfSignedIssuer.ca(now);
                ca = made.certificate();
                caPrivate = made.key();
                writePem(caKey, caPrivate, true);
                writePem(caCert, ca, false);
            }
            SelfSignedIssuer.Pair leaf = SelfSignedIssuer.leaf(ca, caPrivate, wanted, now);
            writePem(key, leaf.key(), true);
            writePem(cert, leaf.certificate(), false);
            return new Issued(caCert, cert, key);
        } catch (IOException | GeneralSecurityException e) {
            throw new TlsException(dir, "cannot make the self-signed certificate in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The names a certificate is made for: the given ones (wildcard addresses left out) and loopback. */
    static Set<String> wantedNames(Collection<String> names) {
        Set<String> out = new TreeSet<>();
        for (String n : names) {
            String v = n.toLowerCase(Locale.ROOT);
            if (v.startsWith("[") && v.endsWith("]")) {
                v = v.substring(1, v.length() - 1);
            }
            if (v.isBlank() || v.equals("0.0.0.0") || v.equals("::") || v.equals("*")) {
                continue;
            }
            out.add(isAddress(v) ? canonicalAddress(v) : v);
        }
        out.add("localhost");
        out.add("127.0.0.1");
        out.add(canonicalAddress("::1"));
        return out;
    }

    private static boolean leafStillGood(Path cert, Path key, X509Certificate ca, Set<String> wanted, Instant now) {
        try {
            X509Certificate leaf = PemFiles.certificates(cert).getFirst();
            PrivateKey k = PemFiles.key(key);
            if (!PemFiles.matches(k, leaf.getPublicKey()) || leaf.getNotAfter().toInstant().isBefore(now.plus(RENEW_BEFORE))) {
                return false;
            }
            leaf.verify(ca.getPublicKey());
            return names(leaf).equals(wanted);
        } catch (TlsException | GeneralSecurityException e) {
            return false;
        }
    }

    /** The DNS names and addresses a certificate is for. */
    static Set<String> names(X509Certificate c) throws CertificateParsingException {
        Set<String> out = new TreeSet<>();
        Collection<List<?>> sans = c.getSubjectAlternativeNames();
        if (sans != null) {
            for (List<?> san : sans) {
                int type = (Integer) san.get(0);
                String v = String.valueOf(san.get(1)).toLowerCase(Locale.ROOT);
                if (type == 2) {
                    out.add(v);
                } else if (type == 7) {
                    out.add(canonicalAddress(v));
                }
            }
        }
        return out;
    }

    static String commonName(Set<String> names) {
        return names.stream().filter(n -> !isAddress(n)).filter(n -> !n.equals("localhost")).findFirst().orElse("localhost");
    }

    static boolean isAddress(String n) {
        return n.contains(":") || n.matches("[0-9.]+");
    }

    private static String canonicalAddress(String v) {
        try {
            return InetAddress.ofLiteral(v).getHostAddress().toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return v;
        }
    }

    /** Writes a key (PKCS#8) or a certificate as PEM, atomically; keys readable by the owner only. */
    static void writePem(Path file, Object object, boolean secret) throws IOException, CertificateEncodingException {
        String label;
        byte[] der;
        if (object instanceof PrivateKey k) {
            label = "PRIVATE KEY";
            der = k.getEncoded();
        } else {
            label = "CERTIFICATE";
            der = ((X509Certificate) object).getEncoded();
        }
        String text = "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
        Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--")));
        try {
            Files.writeString(tmp, text, StandardCharsets.US_ASCII);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void restrict(Path p, String perms) throws IOException {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to restrict
        }
    }
}
