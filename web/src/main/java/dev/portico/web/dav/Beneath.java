package dev.portico.web.dav;

import dev.portico.core.fs.LinuxFs;
import dev.portico.web.files.PathResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;

/**
 * Opens the directories that WebDAV writes go into without ever leaving the document root: the
 * root is opened by its real path, and each collection below it is opened relative to the
 * descriptor of the one above, never through a symbolic link. Writes then create, rename and
 * delete by name relative to the descriptor they got, so swapping a directory for a link
 * between a check and a write cannot send the write elsewhere.
 *
 * <p>Where the kernel has openat2 the whole walk is one call with {@code RESOLVE_BENEATH} and
 * {@code RESOLVE_NO_SYMLINKS}; elsewhere each component is opened with
 * {@code openat(O_NOFOLLOW | O_DIRECTORY | O_PATH)}. Both refuse a link anywhere on the way.
 */
final class Beneath {

    private static final Logger log = LoggerFactory.getLogger(Beneath.class);
    private static final int DIR = LinuxFs.O_PATH | LinuxFs.O_DIRECTORY | LinuxFs.O_CLOEXEC;
    private static final long RULES = LinuxFs.RESOLVE_BENEATH | LinuxFs.RESOLVE_NO_SYMLINKS | LinuxFs.RESOLVE_NO_MAGICLINKS;
    /** openat2 answers EAGAIN when a rename elsewhere raced the walk; after this many, walk by hand. */
    private static final int OPENAT2_TRIES = 4;

    private final boolean openat2;

    /** @param openat2 true to walk with one openat2 call (only where {@link LinuxFs#openat2Available()}) */
    Beneath(boolean openat2) {
        this.openat2 = openat2;
    }

    /** The way this kernel allows: openat2 when it has it, else the walk by components. */
    static Beneath forThisSystem() {
        if (!LinuxFs.available()) {
            throw new IllegalStateException("WebDAV writes need Linux (x86-64 or AArch64) and native access "
                    + "(--enable-native-access=ALL-UNNAMED): they open paths with openat() so that links cannot "
                    + "redirect them out of the root");
        }
        return new Beneath(LinuxFs.openat2Available());
    }

    boolean usesOpenat2() {
        return openat2;
    }

    /**
     * Opens a collection below the root as an {@code O_PATH} descriptor for the *at() calls.
     *
     * @param realRoot the root's real path
     * @param segments the collection's segments below the root (empty for the root)
     * @return the descriptor, which the caller closes
     * @throws PathResolver.Refused 403 for a link on the way, 409 for a missing collection or
     *                              one that is not a directory
     * @throws LinuxFs.Failure      for other failures, such as no permission
     */
    int open(LinuxFs.Scratch s, Path realRoot, List<String> segments) throws PathResolver.Refused, LinuxFs.Failure {
        for (String segment : segments) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || segment.indexOf('/') >= 0
                    || segment.indexOf('\0') >= 0) {
                throw new PathResolver.Refused(400, "bad path segment");
            }
        }
        int root = LinuxFs.openat(s, LinuxFs.AT_FDCWD, realRoot.toString(), DIR, 0);
        if (root < 0) {
            throw LinuxFs.error(s, "open document root " + realRoot);
        }
        if (segments.isEmpty()) {
            return root;
        }
        try {
            return openat2 ? viaOpenat2(s, root, segments) : walk(s, root, segments);
        } finally {
            LinuxFs.close(s, root);
        }
    }

    private int viaOpenat2(LinuxFs.Scratch s, int root, List<String> segments) throws PathResolver.Refused, LinuxFs.Failure {
        String relative = String.join("/", segments);
        for (int i = 0; i < OPENAT2_TRIES; i++) {
            int fd = LinuxFs.openat2(s, root, relative, DIR, RULES);
            if (fd >= 0) {
                return fd;
            }
            int errno = s.errno();
            if (errno != LinuxFs.EAGAIN && errno != LinuxFs.EINTR) {
                return refuse(s, root, segments, errno);
            }
        }
        return walk(s, root, segments);
    }

    /** Opens one component after another, each relative to the last, none of them a link. */
    private int walk(LinuxFs.Scratch s, int root, List<String> segments) throws PathResolver.Refused, LinuxFs.Failure {
        int dir = root;
        for (int i = 0; i < segments.size(); i++) {
            int next = LinuxFs.openat(s, dir, segments.get(i), DIR | LinuxFs.O_NOFOLLOW, 0);
            int errno = s.errno();
            if (dir != root) {
                LinuxFs.close(s, dir);
            }
            if (next < 0) {
                return refuse(s, root, segments.subList(0, i + 1), errno);
            }
            dir = next;
        }
        return dir;
    }

    /**
     * Turns a failed open into its answer. ENOTDIR comes both for a file and, with O_NOFOLLOW,
     * for a link, so the culprit is looked at (from the root, never following) to tell them apart.
     */
    private static int refuse(LinuxFs.Scratch s, int root, List<String> segments, int errno)
            throws PathResolver.Refused, LinuxFs.Failure {
        String path = String.join("/", segments);
        if (errno == LinuxFs.ENOTDIR || errno == LinuxFs.ELOOP) {
            String link = firstLink(s, root, segments);
            if (link != null) {
                log.info("WebDAV write refused: '{}' is a symbolic link; writes never go through links", link);
                throw new PathResolver.Refused(403, "symbolic link on the way: " + link);
            }
            if (errno == LinuxFs.ELOOP) {
                // the link was there when the kernel looked and has gone since: still a link on the way
                log.info("WebDAV write refused: a symbolic link was on the way to '{}'", path);
                throw new PathResolver.Refused(403, "symbolic link on the way to " + path);
            }
            throw new PathResolver.Refused(409, "not a collection on the way to " + path);
        }
        if (errno == LinuxFs.EXDEV) {
            log.info("WebDAV write refused: '{}' leads out of the root", path);
            throw new PathResolver.Refused(403, "leads out of the root: " + path);
        }
        if (errno == LinuxFs.ENOENT) {
            throw new PathResolver.Refused(409, "missing collection on the way to " + path);
        }
        throw new LinuxFs.Failure("open " + path, errno);
    }

    /** The first component (as a path below the root) that is a link right now, or null. */
    private static String firstLink(LinuxFs.Scratch s, int root, List<String> segments) {
        int dir = root;
        try {
            for (int i = 0; i < segments.size(); i++) {
                byte[] name = LinuxFs.bytes(segments.get(i));
                if (LinuxFs.statx(s, dir, name, LinuxFs.AT_SYMLINK_NOFOLLOW) < 0) {
                    return null;
                }
                if (s.type() == LinuxFs.S_IFLNK) {
                    return String.join("/", segments.subList(0, i + 1));
                }
                if (s.type() != LinuxFs.S_IFDIR || i == segments.size() - 1) {
                    return null;
                }
                int next = LinuxFs.openat(s, dir, name, DIR | LinuxFs.O_NOFOLLOW, 0);
                if (dir != root) {
                    LinuxFs.close(s, dir);
                }
                dir = next < 0 ? root : next;
                if (next < 0) {
                    return null;
                }
            }
            return null;
        } finally {
            if (dir != root) {
                LinuxFs.close(s, dir);
            }
        }
    }
}
