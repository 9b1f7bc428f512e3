package dev.portico.web.dav;

import dev.portico.core.fs.LinuxFs;
import dev.portico.web.files.PathResolver;
import dev.portico.web.http.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Runs file system work off the event loop and answers back on it. The work returns the answer
 * to send; file system errors become the matching status (a race with another writer is
 * answered like the state it left behind), anything else a 500 and a log line.
 */
final class Offload {

    private static final Logger log = LoggerFactory.getLogger(Offload.class);

    /** Blocking work that yields the reply to send on the event loop. */
    @FunctionalInterface
    interface Work {
        Consumer<Exchange> run() throws Exception;
    }

    private Offload() {
    }

    static void run(Exchange ex, Executor blocking, Work work) {
        run(ex, blocking, work, () -> { });
    }

    /** As {@link #run(Exchange, Executor, Work)}, with {@code rejected} run when the work cannot be queued. */
    static void run(Exchange ex, Executor blocking, Work work, Runnable rejected) {
        try {
            blocking.execute(() -> {
                Consumer<Exchange> reply;
                try {
                    reply = work.run();
                } catch (Exception e) {
                    reply = failure(ex, e);
                }
                Consumer<Exchange> answer = reply;
                ex.context().executor().execute(() -> answer.accept(ex));
            });
        } catch (RejectedExecutionException e) {
            rejected.run();
            ex.error(503);
        }
    }

    static Consumer<Exchange> failure(Exchange ex, Exception e) {
        int status = switch (e) {
            case PathResolver.Refused r -> r.status();
            case LinuxFs.Failure f -> status(f.errno());
            case NoSuchFileException n -> 404;
            case NotDirectoryException n -> 409;
            case AccessDeniedException a -> 403;
            case FileAlreadyExistsException f -> 405;
            case DirectoryNotEmptyException d -> 409;
            default -> 500;
        };
        if (status == 500) {
            log.error("WebDAV {} {} failed", ex.method(), ex.rawPath(), e);
        } else if (status == 507) {
            log.warn("WebDAV {} {}: out of space: {}", ex.method(), ex.rawPath(), e.getMessage());
        } else {
            log.debug("WebDAV {} {}: {}", ex.method(), ex.rawPath(), e.toString());
        }
        return x -> x.error(status);
    }

    /**
     * The answer to a failed file call on the way to or at a write's target (RFC 4918): a missing
     * or non-collection parent is a conflict (409), as is a collection that will not empty; a
     * link on the way or a name the server may not touch is forbidden (403); an existing entry
     * where MKCOL would create one is 405; a full disk or quota is 507.
     */
    static int status(int errno) {
        return switch (errno) {
            case LinuxFs.ENOENT, LinuxFs.ENOTDIR, LinuxFs.ENOTEMPTY -> 409;
            case LinuxFs.ELOOP, LinuxFs.EXDEV, LinuxFs.EACCES, LinuxFs.EPERM, LinuxFs.EROFS -> 403;
            case LinuxFs.EEXIST, LinuxFs.EISDIR -> 405;
            case LinuxFs.ENOSPC, LinuxFs.EDQUOT -> 507;
            case LinuxFs.ENAMETOOLONG -> 414;
            default -> 500;
        };
    }
}
