package dev.portico.core.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.FileRegion;
import io.netty.handler.stream.ChunkedInput;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.StandardOpenOption;

/**
 * A {@link FileRegion} read as buffers of at most {@code chunkSize} bytes, for the paths where
 * the kernel cannot send the file itself: under TLS, where every byte must be encrypted, and
 * inside HTTP/2 DATA frames. A {@link PathRegion} is read with positional reads of its own file
 * channel straight into each buffer; any other region through {@link FileRegion#transferTo}
 * (which copies through a small JDK buffer, and moves {@link FileRegion#transferred()}). Closing
 * the input releases the region.
 */
public final class FileRegionInput implements ChunkedInput<ByteBuf> {

    /** What TLS fits in one record: 16 KiB. */
    public static final int DEFAULT_CHUNK = 16 * 1024;

    private final FileRegion region;
    private final int chunkSize;
    private long taken;
    private boolean closed;
    /** The file of a {@link PathRegion}, opened at the first read. */
    private FileChannel file;

    public FileRegionInput(FileRegion region, int chunkSize) {
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunkSize must be positive: " + chunkSize);
        }
        this.region = region;
        this.chunkSize = chunkSize;
    }

    @Override
    public boolean isEndOfInput() {
        return closed || taken >= region.count();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            region.release();
            if (file != null) {
                try {
                    file.close();
                } catch (IOException ignored) {
                    // read-only: nothing is lost
                }
            }
        }
    }

    @Deprecated
    @Override
    public ByteBuf readChunk(ChannelHandlerContext ctx) throws Exception {
        return readChunk(ctx.alloc());
    }

    @Override
    public ByteBuf readChunk(ByteBufAllocator allocator) throws Exception {
        if (isEndOfInput()) {
            return null;
        }
        int n = (int) Math.min(chunkSize, region.count() - taken);
        ByteBuf buf = allocator.directBuffer(n);
        boolean ok = false;
        try {
            if (region instanceof PathRegion p) {
                readDirect(p, buf, n);
                ok = true;
                return buf;
            }
            Filler filler = new Filler(buf, n);
            while (filler.remaining() > 0) {
                long got = region.transferTo(filler, taken);
                if (got <= 0) {
                    throw new IOException("file ended " + (region.count() - taken) + " bytes early (truncated while sending?)");
                }
                taken += got;
            }
            ok = true;
            return buf;
        } finally {
            if (!ok) {
                buf.release();
            }
        }
    }

    /** Reads {@code n} bytes of the file at the region's next offset into {@code buf}. */
    private void readDirect(PathRegion p, ByteBuf buf, int n) throws IOException {
        if (file == null) {
            file = FileChannel.open(p.path(), StandardOpenOption.READ);
        }
        ByteBuffer target = buf.internalNioBuffer(buf.writerIndex(), n);
        long at = p.position() + taken;
        int filled = 0;
        while (filled < n) {
            int got = file.read(target, at + filled);
            if (got < 0) {
                throw new IOException("file ended " + (region.count() - taken - filled) + " bytes early (truncated while sending?)");
            }
            filled += got;
        }
        buf.writerIndex(buf.writerIndex() + n);
        taken += n;
    }

    @Override
    public long length() {
        return region.count();
    }

    @Override
    public long progress() {
        return taken;
    }

    /** A channel that copies into one buffer until {@code limit} bytes are in it. */
    private static final class Filler implements WritableByteChannel {
        private final ByteBuf target;
        private int left;

        Filler(ByteBuf target, int limit) {
            this.target = target;
            this.left = limit;
        }

        int remaining() {
            return left;
        }

        @Override
        public int write(ByteBuffer src) {
            int n = Math.min(left, src.remaining());
            if (n == 0) {
                return 0;
            }
            int oldLimit = src.limit();
            src.limit(src.position() + n);
            target.writeBytes(src);
            src.limit(oldLimit);
            left -= n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
