package dev.portico.core.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.FileRegion;
import io.netty.handler.stream.ChunkedInput;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * A {@link FileRegion} read as buffers of at most {@code chunkSize} bytes, for the paths where
 * the kernel cannot send the file itself: under TLS, where every byte must be encrypted, and
 * inside HTTP/2 DATA frames. Reading goes through {@link FileRegion#transferTo}, so any region
 * works and its {@link FileRegion#transferred()} moves as the chunks are taken. Closing the input
 * releases the region.
 */
public final class FileRegionInput implements ChunkedInput<ByteBuf> {

    /** What TLS fits in one record: 16 KiB. */
    public static final int DEFAULT_CHUNK = 16 * 1024;

    private final FileRegion region;
    private final int chunkSize;
    private long taken;
    private boolean closed;

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
