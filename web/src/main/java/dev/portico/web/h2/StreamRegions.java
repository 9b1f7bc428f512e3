package dev.portico.web.h2;

import dev.portico.core.transport.FileRegionInput;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.stream.ChunkedWriteHandler;

/**
 * A stream's file regions, read in chunks: the first region written adds a
 * {@link ChunkedWriteHandler} between the bridge and this handler, and each region goes on as a
 * {@link FileRegionInput} that it writes chunk by chunk as the stream's window allows. A stream
 * that sends no file (an answer from memory, an error, a proxied body) has no chunked writer to
 * queue its frames through. Stateless and shared.
 */
@ChannelHandler.Sharable
final class StreamRegions extends ChannelOutboundHandlerAdapter {

    static final String WRITER = "chunked-writer";

    private final int chunkSize;

    StreamRegions(int chunkSize) {
        this.chunkSize = chunkSize;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof FileRegion region) {
            ChannelPipeline p = ctx.pipeline();
            if (p.get(WRITER) == null) {
                p.addBefore(ctx.name(), WRITER, new ChunkedWriteHandler());
            }
            ctx.write(new FileRegionInput(region, chunkSize), promise);
        } else {
            ctx.write(msg, promise);
        }
    }
}
