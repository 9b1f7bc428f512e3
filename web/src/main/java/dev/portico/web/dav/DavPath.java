package dev.portico.web.dav;

import dev.portico.web.files.PathResolver;

import java.nio.file.Path;
import java.util.List;

/**
 * Where a WebDAV request points: the decoded segments under the root. Nothing is looked up here:
 * writes open the parent collection through {@link Beneath}, which never follows a link, and act
 * on the last segment by name relative to it, so a link there is acted on as a link and never
 * written through. Names of in-progress uploads are refused.
 *
 * @param realRoot the root's real path
 * @param segments decoded segments below the root; empty for the root itself
 */
record DavPath(Path realRoot, List<String> segments) {

    /** Prefix of the hidden temporary files that uploads are written to. */
    static final String TEMP_PREFIX = ".portico-upload-";

    /**
     * Parses a raw request path.
     *
     * @throws PathResolver.Refused 400 for a malformed path, 403 for a temporary file's name
     */
    static DavPath of(Path realRoot, String rawPath) throws PathResolver.Refused {
        List<String> segments = PathResolver.segments(rawPath);
        for (String s : segments) {
            if (s.startsWith(TEMP_PREFIX)) {
                throw new PathResolver.Refused(403, "upload temporary names are reserved");
            }
        }
        PathResolver.join(realRoot, segments);
        return new DavPath(realRoot, segments);
    }

    boolean isRoot() {
        return segments.isEmpty();
    }

    /** The last segment. */
    String name() {
        return segments.getLast();
    }

    /** The segments of the parent collection. */
    List<String> parent() {
        return segments.subList(0, segments.size() - 1);
    }

    /** The entry's path as written under the real root: for cache invalidation and logs only, never opened. */
    Path file() {
        return realRoot.resolve(String.join("/", segments));
    }
}
