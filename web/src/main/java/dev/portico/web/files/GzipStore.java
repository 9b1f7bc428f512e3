package dev.portico.web.files;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Compressed variants kept on disk, so that a restart does not compress everything again. A
 * variant's name carries its source's path hash, mtime and size, so a changed source never
 * matches an old variant. Variants are written to a temporary file and renamed into place: a
 * crash leaves no half-written variant under a real name.
 */
public final class GzipStore {

    private static final Logger log = LoggerFactory.getLogger(GzipStore.class);

    private final Path dir;
    private final int level;

    public GzipStore(Path dir, int level) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.level = level;
    }

    public int level() {
        return level;
    }

    /** Where the variant of this version of a file lives (it may not exist yet). */
    public Path variant(Path file, long size, long mtime) {
        return dir.resolve(prefix(file) + mtime + "-" + size + ".gz");
    }

    private static String prefix(Path file) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(file.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 16) + "-";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The compressed bytes of a small file: from disk when present, else compressed and stored. */
    public byte[] smallVariant(Path file, long size, long mtime, byte[] content) {
        Path v = variant(file, size, mtime);
        try {
            return Files.readAllBytes(v);
        } catch (NoSuchFileException e) {
            byte[] gz = GzipEncoder.compress(content, level);
            try (Tee tee = openTee(file, size, mtime)) {
                tee.write(gz, 0, gz.length);
                tee.commit();
            } catch (IOException io) {
                log.warn("cannot store gzip variant of {}: {}", file, io.toString());
            }
            return gz;
        } catch (IOException e) {
            log.warn("cannot read gzip variant {}: {}", v, e.toString());
            return GzipEncoder.compress(content, level);
        }
    }

    /** Opens a temporary file that becomes the variant of this version on {@link Tee#commit()}. */
    public Tee openTee(Path file, long size, long mtime) throws IOException {
        Path target = variant(file, size, mtime);
        Path tmp = Files.createTempFile(dir, ".tmp-", ".gz");
        return new Tee(tmp, target, prefix(file));
    }

    /** A variant being written. Closing without commit deletes it. */
    public final class Tee implements AutoCloseable {
        private final Path tmp;
        private final Path target;
        private final String prefix;
        private final FileChannel channel;
        private boolean committed;
        private boolean failed;

        private Tee(Path tmp, Path target, String prefix) throws IOException {
            this.tmp = tmp;
            this.target = target;
            this.prefix = prefix;
            this.channel = FileChannel.open(tmp, StandardOpenOption.WRITE);
        }

        /** Appends bytes; an I/O failure only disables the store for this variant. */
        public void write(byte[] b, int off, int len) {
            if (failed) {
                return;
            }
            try {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            } catch (IOException e) {
                failed = true;
                log.warn("cannot write gzip variant {}: {}", tmp, e.toString());
            }
        }

        /** Moves the finished variant into place and removes older variants of the same file. */
        public void commit() throws IOException {
            if (failed) {
                return;
            }
            channel.close();
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            committed = true;
            try (DirectoryStream<Path> old = Files.newDirectoryStream(dir, prefix + "*")) {
                for (Path p : old) {
                    if (!p.equals(target)) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }

        @Override
        public void close() {
            try {
                channel.close();
                if (!committed) {
                    Files.deleteIfExists(tmp);
                }
            } catch (IOException e) {
                log.debug("closing gzip variant {}: {}", tmp, e.toString());
            }
        }
    }
}
