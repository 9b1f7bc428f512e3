package dev.portico.web.dav;

import dev.portico.core.fs.LinuxFs;
import dev.portico.web.http.BodySink;
import dev.portico.web.http.Exchange;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * One PUT body on its way to disk. The body is written as it arrives to a hidden temporary file
 * created with {@code openat(O_CREAT | O_EXCL | O_NOFOLLOW)} in the target's directory, by its
 * descriptor; when it is complete the file is synced and renamed over the target with
 * {@code renameat} within that same directory descriptor, in one atomic step, so readers see the
 * old content or the new, never a part, and nothing can be redirected out of the root by a link.
 * A client that goes away before the end leaves nothing behind: the temporary file is deleted.
 */
final class PutUpload implements BodySink {

    private static final Logger log = LoggerFactory.getLogger(PutUpload.class);
    private static final int CREATE = LinuxFs.O_CREAT | LinuxFs.O_EXCL | LinuxFs.O_WRONLY | LinuxFs.O_NOFOLLOW
            | LinuxFs.O_CLOEXEC;
    private static final int FILE_MODE = 0666;

    private final Exchange ex;
    private final DavPath target;
    private final byte[] name;
    private final byte[] temp;
    private final Arena arena;
    private final LinuxFs.Scratch s;
    private final int dir;
    private final Executor blocking;
    private final Consumer<java.nio.file.Path> changed;
    /** The temporary file's descriptor; -1 once closed. */
    private int fd;
    private boolean released;
    private boolean failed;

    private PutUpload(Exchange ex, DavPath target, byte[] temp, Arena arena, LinuxFs.Scratch s, int dir, int fd,
                      Executor blocking, Consumer<java.nio.file.Path> changed) {
        this.ex = ex;
        this.target = target;
        this.name = LinuxFs.bytes(target.name());
        this.temp = temp;
        this.arena = arena;
        this.s = s;
        this.dir = dir;
        this.fd = fd;
        this.blocking = blocking;
        this.changed = changed;
    }

    /**
     * Creates the temporary file in the directory {@code dir}. The upload takes over {@code dir}
     * and {@code arena} (which holds {@code s}) once it is returned, and releases them when done.
     */
    static PutUpload open(Exchange ex, DavPath target, Arena arena, LinuxFs.Scratch s, int dir, Executor blocking,
                          Consumer<java.nio.file.Path> changed) throws LinuxFs.Failure {
        while (true) {
            byte[] temp = LinuxFs.bytes(DavPath.TEMP_PREFIX + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
            int fd = LinuxFs.openat(s, dir, temp, CREATE, FILE_MODE);
            if (fd >= 0) {
                return new PutUpload(ex, target, temp, arena, s, dir, fd, blocking, changed);
            }
            if (s.errno() != LinuxFs.EEXIST) {
                throw LinuxFs.error(s, "create upload temporary file");
            }
            // another upload drew the same name; draw again
        }
    }

    @Override
    public void onData(ByteBuf data) {
        if (failed) {
            data.skipBytes(data.readableBytes());
            return;
        }
        try {
            if (data.hasMemoryAddress()) {
                writeFully(data.memoryAddress() + data.readerIndex(), data.readableBytes());
            } else {
                for (ByteBuffer b : data.nioBuffers()) {
                    write(b);
                }
            }
            data.skipBytes(data.readableBytes());
        } catch (LinuxFs.Failure e) {
            failed = true;
            data.skipBytes(data.readableBytes());
            release(true);
            ex.closeAfterResponse();
            Offload.failure(ex, e).accept(ex);
        }
    }

    private void write(ByteBuffer b) throws LinuxFs.Failure {
        if (b.isDirect()) {
            writeFully(MemorySegment.ofBuffer(b).address(), b.remaining());
            return;
        }
        MemorySegment io = s.ioBuffer();
        MemorySegment heap = MemorySegment.ofBuffer(b);
        long at = 0;
        while (at < heap.byteSize()) {
            long n = Math.min(s.ioCapacity(), heap.byteSize() - at);
            MemorySegment.copy(heap, ValueLayout.JAVA_BYTE, at, io, ValueLayout.JAVA_BYTE, 0, n);
            writeFully(io.address(), n);
            at += n;
        }
    }

    private void writeFully(long address, long length) throws LinuxFs.Failure {
        long done = 0;
        while (done < length) {
            long n = LinuxFs.write(s, fd, address + done, length - done);
            if (n < 0) {
                if (s.errno() == LinuxFs.EINTR) {
                    continue;
                }
                throw LinuxFs.error(s, "write upload");
            }
            done += n;
        }
    }

    @Override
    public void onEnd() {
        if (!failed) {
            Offload.run(ex, blocking, this::commit, () -> release(true));
        }
    }

    private Consumer<Exchange> commit() throws LinuxFs.Failure {
        boolean keep = false;
        try {
            if (LinuxFs.fsync(s, fd) < 0) {
                throw LinuxFs.error(s, "sync upload");
            }
            int closed = LinuxFs.close(s, fd);
            fd = -1;
            if (closed < 0) {
                throw LinuxFs.error(s, "close upload");
            }
            boolean replaced = false;
            if (LinuxFs.statx(s, dir, name, LinuxFs.AT_SYMLINK_NOFOLLOW) == 0) {
                if (s.type() == LinuxFs.S_IFDIR) {
                    return x -> x.error(405);
                }
                replaced = true;
            } else if (s.errno() != LinuxFs.ENOENT) {
                throw LinuxFs.error(s, "look at upload target");
            }
            if (LinuxFs.renameat(s, dir, temp, dir, name) < 0) {
                if (s.errno() == LinuxFs.EISDIR) {
                    return x -> x.error(405);
                }
                throw LinuxFs.error(s, "rename upload into place");
            }
            keep = true;
            syncDirectory();
            changed.accept(target.file());
            return replaced ? DavReplies::noContent : DavReplies::created;
        } finally {
            release(!keep);
        }
    }

    /** Makes the rename durable; some file systems cannot sync a directory, which is harmless. */
    private void syncDirectory() {
        int d = LinuxFs.openat(s, dir, ".", LinuxFs.O_RDONLY | LinuxFs.O_DIRECTORY | LinuxFs.O_CLOEXEC, 0);
        if (d < 0) {
            log.trace("directory sync for {} skipped: errno {}", target.file(), s.errno());
            return;
        }
        if (LinuxFs.fsync(s, d) < 0) {
            log.trace("directory sync for {} failed: errno {}", target.file(), s.errno());
        }
        LinuxFs.close(s, d);
    }

    @Override
    public void onAbort() {
        log.debug("upload to {} aborted", target.file());
        release(true);
    }

    /** Closes what is open and, unless the file was renamed into place, deletes the temporary file. */
    private synchronized void release(boolean discard) {
        if (released) {
            return;
        }
        released = true;
        if (fd >= 0) {
            LinuxFs.close(s, fd);
            fd = -1;
        }
        if (discard && LinuxFs.unlinkat(s, dir, temp, 0) < 0 && s.errno() != LinuxFs.ENOENT) {
            log.warn("could not delete upload temporary file in {}: errno {}", target.file().getParent(), s.errno());
        }
        LinuxFs.close(s, dir);
        arena.close();
    }
}
