package dev.portico.server.control;

import dev.portico.admin.AdminRole;
import dev.portico.server.config.AdminSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Turns the configured admin tokens into secrets: inline ones as they are, files read, and files
 * that do not exist yet created with a fresh random token, readable by the owner only (0600).
 * With no token configured, one is kept in {@link AdminSettings#defaultTokenFile()}.
 */
public final class AdminTokens {

    private static final Logger log = LoggerFactory.getLogger(AdminTokens.class);

    /**
     * A token ready for the admin server.
     *
     * @param secret the token
     * @param role   what it may do
     * @param file   where it is kept, or null for an inline token
     */
    public record Resolved(String secret, AdminRole role, Path file) {
    }

    private final SecureRandom random = new SecureRandom();

    /**
     * The secrets of {@code settings}, creating token files that are missing.
     *
     * @throws IOException when a token file cannot be read or created
     */
    public List<Resolved> resolve(AdminSettings settings) throws IOException {
        return resolve(settings, dev.portico.core.lifecycle.ServiceContext.defaultStateDir());
    }

    /**
     * The secrets of {@code settings}, creating token files that are missing; with no token
     * configured, the token is kept in {@code stateDir/admin.token}.
     *
     * @throws IOException when a token file cannot be read or created
     */
    public List<Resolved> resolve(AdminSettings settings, java.nio.file.Path stateDir) throws IOException {
        List<AdminSettings.TokenSpec> specs = settings.tokens().isEmpty()
                ? List.of(AdminSettings.TokenSpec.file(AdminSettings.defaultTokenFile(stateDir), AdminRole.WRITE))
                : settings.tokens();
        List<Resolved> out = new ArrayList<>();
        for (AdminSettings.TokenSpec spec : specs) {
            String secret = spec.token() != null ? spec.token() : readOrCreate(spec.file());
            out.add(new Resolved(secret, spec.role(), spec.file()));
        }
        return out;
    }

    /** The token in {@code file}, creating the file (and its directory, 0700) with a new token when missing. */
    String readOrCreate(Path file) throws IOException {
        if (!Files.exists(file)) {
            try {
                create(file);
            } catch (FileAlreadyExistsException raced) {
                // Another process made it first: read theirs.
            }
        }
        String token = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (token.isEmpty()) {
            throw new IOException("admin token file " + file + " is empty");
        }
        return token;
    }

    private void create(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (!Files.isDirectory(dir)) {
            if (posix) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } else {
                Files.createDirectories(dir);
            }
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Path tmp = dir.resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        Files.deleteIfExists(tmp);
        if (posix) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8);
        try {
            Files.createLink(file, tmp);
        } catch (UnsupportedOperationException noLinks) {
            Files.move(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
        log.info("generated an admin token in {}", file);
    }
}
