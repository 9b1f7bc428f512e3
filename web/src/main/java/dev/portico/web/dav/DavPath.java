package dev.portico.web.dav;

import dev.portico.web.files.PathResolver;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * Where a WebDAV request points: the decoded segments under the root and the real path of the
 * parent directory, which must lie inside the root (links out of the root are refused for
 * writes whatever the serving policy). The last segment is not resolved, so that a link there is
 * acted on as a link and never written through. Names of in-progress uploads are refused.
 *
 * @param realRoot the root's real path
 * @param segments decoded segments below the root; empty for the root itself
 * @param parent   the real path of the parent directory, or null when it does not exist
 */
record DavPath(Path realRoot, List<String> segments, Path parent) {

    /** Prefix of the hidden temporary files that uploads are written to. */
    static final String TEMP_PREFIX = ".portico-upload-";

    /**
     * Resolves a raw request path.
     *
     * @throws PathResolver.Refused 400 for a malformed path, 403 for a temporary file's name or a
     *                              parent that leads out of the root
     */
    static DavPath of(Path realRoot, String rawPath) throws PathResolver.Refused {
        List<String> segments = PathResolver.segments(rawPath);
        for (String s : segments) {
            if (s.startsWith(TEMP_PREFIX)) {
                throw new PathResolver.Refused(403, "upload temporary names are reserved");
            }
        }
        if (segments.isEmpty()) {
            return new DavPath(realRoot, segments, null);
        }
        Path parent = PathResolver.resolve(realRoot, segments.subList(0, segments.size() - 1), false);
        if (parent != null && !Files.isDirectory(parent)) {
            parent = null;
        }
        return new DavPath(realRoot, segments, parent);
    }

    boolean isRoot() {
        return segments.isEmpty();
    }

    /** True when the parent collection is missing (or is not a directory). */
    boolean parentMissing() {
        return !isRoot() && parent == null;
    }

    /** The last segment. */
    String name() {
        return segments.getLast();
    }

    /** The entry itself, links not followed; only valid when the parent exists. */
    Path file() {
        return isRoot() ? realRoot : parent.resolve(name());
    }

    boolean exists() {
        return !parentMissing() && Files.exists(file(), LinkOption.NOFOLLOW_LINKS);
    }

    boolean isDirectory() {
        return !parentMissing() && Files.isDirectory(file(), LinkOption.NOFOLLOW_LINKS);
    }

    boolean isLink() {
        return !parentMissing() && Files.isSymbolicLink(file());
    }
}
