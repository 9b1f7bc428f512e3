package dev.portico.web.dav;

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
            ex.error(503);
        }
    }

    static Consumer<Exchange> failure(Exchange ex, Exception e) {
        int status = switch (e) {
            case NoSuchFileException n -> 404;
            case NotDirectoryException n -> 409;
            case AccessDeniedException a -> 403;
            case FileAlreadyExistsException f -> 405;
            case DirectoryNotEmptyException d -> 409;
            default -> 500;
        };
        if (status == 500) {
            log.error("WebDAV {} {} failed", ex.method(), ex.rawPath(), e);
        } else {
            log.debug("WebDAV {} {}: {}", ex.method(), ex.rawPath(), e.toString());
        }
        return x -> x.error(status);
    }
}
