package dev.portico.web.dav;

import dev.portico.web.http.BodySink;
import dev.portico.web.http.Exchange;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * One PUT body on its way to disk. The body is written as it arrives to a hidden temporary file
 * in the target's directory; when it is complete the file is synced and renamed over the target
 * in one atomic step, so readers see the old content or the new, never a part. A client that
 * goes away before the end leaves nothing behind: the temporary file is deleted.
 */
final class PutUpload implements BodySink {

    private static final Logger log = LoggerFactory.getLogger(PutUpload.class);

    private final Exchange ex;
    private final Path target;
    private final Path temp;
    private final Executor blocking;
    private final Consumer<Path> changed;
    private final FileChannel channel;

    private PutUpload(Exchange ex, Path target, Path temp, FileChannel channel, Executor blocking,
                      Consumer<Path> changed) {
        this.ex = ex;
        this.target = target;
        this.temp = temp;
        this.channel = channel;
        this.blocking = blocking;
        this.changed = changed;
    }

    /** Creates the temporary file next to {@code target}. */
    static PutUpload open(Exchange ex, Path target, Executor blocking, Consumer<Path> changed) throws IOException {
        Path dir = target.getParent();
        while (true) {
            Path temp = dir.resolve(DavPath.TEMP_PREFIX + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
            try {
                FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return new PutUpload(ex, target, temp, ch, blocking, changed);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // another upload drew the same name; draw again
            }
        }
    }

    /** The temporary file (for tests and logs). */
    Path temp() {
        return temp;
    }

    @Override
    public void onData(ByteBuf data) throws IOException {
        while (data.isReadable()) {
            data.readBytes(channel, data.readableBytes());
        }
    }

    @Override
    public void onEnd() {
        Offload.run(ex, blocking, this::commit);
    }

    private Consumer<Exchange> commit() throws IOException {
        try (channel) {
            channel.force(true);
        } catch (IOException e) {
            discard();
            throw e;
        }
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            discard();
            return x -> x.error(405);
        }
        boolean replaced = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            discard();
            throw e;
        }
        syncDirectory(target.getParent());
        changed.accept(target);
        return replaced ? DavReplies::noContent : DavReplies::created;
    }

    @Override
    public void onAbort() {
        log.debug("upload to {} aborted", target);
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("closing {}: {}", temp, e.toString());
        }
        discard();
    }

    private void discard() {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            log.warn("could not delete upload temporary file {}: {}", temp, e.toString());
        }
    }

    /** Makes the rename durable; some file systems cannot open a directory, which is harmless. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            log.trace("directory sync of {} skipped: {}", dir, e.toString());
        }
    }
}
