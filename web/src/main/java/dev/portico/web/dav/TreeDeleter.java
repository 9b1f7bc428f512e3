package dev.portico.web.dav;

import dev.portico.core.fs.LinuxFs;
import dev.portico.web.files.PathResolver;

import java.util.List;

/**
 * Deletes a file, a link or a whole directory tree by name relative to the descriptor of its
 * directory. Directories are entered with {@code openat(O_NOFOLLOW | O_DIRECTORY)} and their
 * entries removed with {@code unlinkat}, so a link inside the tree is removed as a link and never
 * followed, and a directory swapped for a link while the deletion runs is not entered either.
 */
final class TreeDeleter {

    /** Each level holds one descriptor open; a deeper tree is refused rather than exhausting them. */
    static final int MAX_DEPTH = 256;
    /** Entries created while a directory is emptied are looked for this many times before giving up. */
    private static final int ROUNDS = 3;
    private static final int READ_DIR = LinuxFs.O_RDONLY | LinuxFs.O_DIRECTORY | LinuxFs.O_NOFOLLOW | LinuxFs.O_CLOEXEC;

    private TreeDeleter() {
    }

    /**
     * Deletes {@code name} in the directory {@code dirfd}.
     *
     * @return false when nothing was there
     * @throws PathResolver.Refused 403 for a tree deeper than {@link #MAX_DEPTH}
     * @throws LinuxFs.Failure      when a call fails, e.g. ENOTEMPTY when writers keep filling it
     */
    static boolean delete(LinuxFs.Scratch s, int dirfd, byte[] name) throws LinuxFs.Failure, PathResolver.Refused {
        return remove(s, dirfd, name, LinuxFs.DT_UNKNOWN, 0);
    }

    private static boolean remove(LinuxFs.Scratch s, int dirfd, byte[] name, int type, int depth)
            throws LinuxFs.Failure, PathResolver.Refused {
        if (type != LinuxFs.DT_DIR) {
            if (LinuxFs.unlinkat(s, dirfd, name, 0) == 0) {
                return true;
            }
            if (s.errno() == LinuxFs.ENOENT) {
                return false;
            }
            if (s.errno() != LinuxFs.EISDIR) {
                throw LinuxFs.error(s, "unlink");
            }
        }
        if (depth >= MAX_DEPTH) {
            throw new PathResolver.Refused(403, "tree deeper than " + MAX_DEPTH + " levels");
        }
        for (int round = 0; ; round++) {
            int fd = LinuxFs.openat(s, dirfd, name, READ_DIR, 0);
            if (fd < 0) {
                int errno = s.errno();
                if (errno == LinuxFs.ENOENT) {
                    return false;
                }
                if (errno == LinuxFs.ENOTDIR || errno == LinuxFs.ELOOP) {
                    // swapped for a file or a link since: that is removed as itself
                    if (LinuxFs.unlinkat(s, dirfd, name, 0) == 0) {
                        return true;
                    }
                    if (s.errno() == LinuxFs.ENOENT) {
                        return false;
                    }
                    throw LinuxFs.error(s, "unlink");
                }
                throw LinuxFs.error(s, "open directory");
            }
            try {
                List<LinuxFs.Entry> entries = LinuxFs.readDirectory(s, fd);
                if (entries == null) {
                    throw LinuxFs.error(s, "read directory");
                }
                for (LinuxFs.Entry e : entries) {
                    remove(s, fd, e.name(), e.type(), depth + 1);
                }
            } finally {
                LinuxFs.close(s, fd);
            }
            if (LinuxFs.unlinkat(s, dirfd, name, LinuxFs.AT_REMOVEDIR) == 0) {
                return true;
            }
            int errno = s.errno();
            if (errno == LinuxFs.ENOENT) {
                return true;
            }
            if (errno != LinuxFs.ENOTEMPTY || round + 1 >= ROUNDS) {
                throw LinuxFs.error(s, "remove directory");
            }
        }
    }
}
