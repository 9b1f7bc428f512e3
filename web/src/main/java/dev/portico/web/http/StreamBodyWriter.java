package dev.portico.web.http;

import dev.portico.core.transport.FileRegionInput;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.util.ReferenceCountUtil;

/**
 * The body of a response on an HTTP/2 stream served without a child channel: buffers and file
 * regions become DATA frames on the stream, the last one ending it. A file region is read in
 * chunks ({@link FileRegionInput}, one TLS record each), at most {@link #IN_FLIGHT} of them
 * written and not yet sent: the next is read only once an earlier one has gone, which the codec
 * lets happen only as the stream's and the connection's flow-control windows allow. A client that
 * grants little window gets the file slowly, and the server holds a few chunks of it, as the
 * chunked writer of a child channel does under its high-water mark.
 */
final class StreamBodyWriter implements ChannelFutureListener {

    /** Chunks written and not yet sent, per stream: 64 KiB, the high-water mark of a connection. */
    static final int IN_FLIGHT = 4;

    private final ChannelHandlerContext ctx;
    private final Http2FrameStream stream;
    private final Object[] parts;
    private final ChannelPromise done;
    /** The next part to take. */
    private int next;
    /** The region being read, or null between parts. */
    private FileRegionInput input;
    private int inFlight;
    private boolean ended;
    private boolean failed;
    private boolean pumping;
    private boolean again;

    private StreamBodyWriter(ChannelHandlerContext ctx, Http2FrameStream stream, Object[] parts) {
        this.ctx = ctx;
        this.stream = stream;
        this.parts = parts;
        this.done = ctx.newPromise();
    }

    /**
     * Writes {@code parts} ({@link ByteBuf}s and {@link FileRegion}s, taken over) as the stream's
     * DATA frames, the last ending the stream.
     *
     * @return completes when the last frame has been written, or fails with the first write that failed
     */
    static ChannelFuture write(ChannelHandlerContext ctx, Http2FrameStream stream, Object... parts) {
        StreamBodyWriter w = new StreamBodyWriter(ctx, stream, parts);
        w.pump();
        return w.done;
    }

    private void pump() {
        if (pumping) {
            // A write completed while this writer was writing or flushing: the loop goes on.
            again = true;
            return;
        }
        pumping = true;
        try {
            do {
                again = false;
                while (!ended && !failed && inFlight < IN_FLIGHT) {
                    ByteBuf data;
                    try {
                        data = nextBuffer();
                    } catch (Exception e) {
                        fail(e);
                        break;
                    }
                    boolean last = input == null && next == parts.length;
                    ended = last;
                    inFlight++;
                    ctx.write(new DefaultHttp2DataFrame(data, last).stream(stream)).addListener(this);
                }
                ctx.flush();
            } while (again);
        } finally {
            pumping = false;
        }
    }

    /** The next buffer of the body: a part, or a chunk of the region being read (empty when nothing is left). */
    private ByteBuf nextBuffer() throws Exception {
        if (input == null) {
            if (next == parts.length) {
                return Unpooled.EMPTY_BUFFER;
            }
            Object part = parts[next];
            parts[next++] = null;
            if (part instanceof ByteBuf b) {
                return b;
            }
            input = new FileRegionInput((FileRegion) part, FileRegionInput.DEFAULT_CHUNK);
        }
        ByteBuf chunk = input.readChunk(ctx.alloc());
        if (input.isEndOfInput()) {
            input.close();
            input = null;
        }
        return chunk == null ? Unpooled.EMPTY_BUFFER : chunk;
    }

    @Override
    public void operationComplete(ChannelFuture f) {
        inFlight--;
        if (!f.isSuccess()) {
            fail(f.cause());
        } else if (ended) {
            if (inFlight == 0) {
                done.trySuccess();
            }
        } else {
            pump();
        }
    }

    private void fail(Throwable cause) {
        if (failed) {
            return;
        }
        failed = true;
        if (input != null) {
            input.close();
            input = null;
        }
        for (int i = next; i < parts.length; i++) {
            ReferenceCountUtil.release(parts[i]);
            parts[i] = null;
        }
        next = parts.length;
        done.tryFailure(cause);
    }
}
