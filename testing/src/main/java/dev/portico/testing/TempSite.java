package dev.portico.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

/**
 * A document root for tests, usually over a JUnit {@code @TempDir}: write files with relative
 * paths, parent directories are created as needed.
 *
 * <pre>{@code
 * TempSite site = new TempSite(tempDir).file("index.html", "<h1>hi</h1>").dir("empty");
 * }</pre>
 */
public final class TempSite {

    private final Path root;

    public TempSite(Path root) {
        this.root = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path root() {
        return root;
    }

    /** Resolves a relative path, refusing paths that leave the root. */
    public Path path(String relative) {
        Path p = root.resolve(relative).normalize();
        if (!p.startsWith(root)) {
            throw new IllegalArgumentException("'" + relative + "' is outside the site root");
        }
        return p;
    }

    /** Writes a UTF-8 text file. */
    public TempSite file(String relative, String text) {
        return file(relative, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes a file. */
    public TempSite file(String relative, byte[] content) {
        Path p = path(relative);
        try {
            Files.createDirectories(p.getParent());
            Files.write(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Writes {@code size} bytes of repeating printable text, handy for gzip and range tests. */
    public TempSite file(String relative, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) ('a' + i % 26);
        }
        return file(relative, b);
    }

    /** Creates a directory. */
    public TempSite dir(String relative) {
        try {
            Files.createDirectories(path(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Sets a file's modification time. */
    public TempSite lastModified(String relative, Instant time) {
        try {
            Files.setLastModifiedTime(path(relative), FileTime.from(time));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Reads a file back as UTF-8 text. */
    public String read(String relative) {
        try {
            return Files.readString(path(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return root.toString();
    }
}
