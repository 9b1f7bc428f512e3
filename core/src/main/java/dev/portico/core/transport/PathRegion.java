package dev.portico.core.transport;

import io.netty.channel.DefaultFileRegion;

import java.nio.file.Path;

/**
 * A file region that remembers its file's path. The socket sends it with sendfile as any
 * {@link DefaultFileRegion} (which opens the file on the first transfer); where the bytes must be
 * read instead (TLS, HTTP/2), {@link FileRegionInput} reads the path straight into its buffers
 * rather than through {@link #transferTo}'s intermediate copy.
 */
public final class PathRegion extends DefaultFileRegion {

    private final Path path;

    public PathRegion(Path path, long position, long count) {
        super(path.toFile(), position, count);
        this.path = path;
    }

    public Path path() {
        return path;
    }
}
