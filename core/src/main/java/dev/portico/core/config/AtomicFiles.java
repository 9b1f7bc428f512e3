package dev.portico.core.config;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/** Whole-file writes that a reader or a crash never sees half done. */
public final class AtomicFiles {

    /** Runs just before the new file replaces the old one; may fail the write. */
    @FunctionalInterface
    public interface BeforeReplace {
        void run() throws IOException;
    }

    private AtomicFiles() {
    }

    /** {@link #write(Path, String, BeforeReplace)} with nothing to do before the replace. */
    public static void write(Path file, String text) throws IOException {
        write(file, text, () -> { });
    }

    /**
     * Replaces {@code file} with {@code text}: written to a temporary file in the same directory,
     * flushed to disk, given the old file's permissions, then renamed over {@code file} (and the
     * directory flushed where the system allows it). On failure {@code file} is left as it was
     * and the temporary file is removed.
     *
     * @param beforeReplace run once the new text is safe on disk, before the rename (a backup copy
     *                      of the old file, say)
     * @throws IOException when the directory cannot be written
     */
    public static void write(Path file, String text, BeforeReplace beforeReplace) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            if (Files.exists(file)) {
                copyPermissions(file, tmp);
            }
            beforeReplace.run();
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void copyPermissions(Path from, Path to) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(from);
            Files.setPosixFilePermissions(to, perms);
        } catch (IOException | UnsupportedOperationException e) {
            // Not a POSIX file system: the temporary file keeps its defaults.
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Some systems cannot open a directory for sync; the rename is still atomic.
        }
    }
}
