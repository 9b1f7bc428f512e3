package dev.portico.core.transport;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.stream.ChunkedWriteHandler;

/**
 * Turns every {@link FileRegion} written through it into a {@link FileRegionInput}, which a
 * {@link ChunkedWriteHandler} nearer the head of the pipeline then writes chunk by chunk as the
 * channel becomes writable. Handlers above it keep writing file regions whatever carries the
 * bytes: the socket itself (sendfile), TLS, or an HTTP/2 stream. Stateless and shared.
 */
@ChannelHandler.Sharable
public final class FileRegionChunker extends ChannelOutboundHandlerAdapter {

    private final int chunkSize;

    public FileRegionChunker(int chunkSize) {
        this.chunkSize = chunkSize;
    }

    /**
     * Adds a chunked writer and a chunker after {@code baseName} (for example the TLS handler),
     * so regions written by the handlers after them are read in chunks.
     */
    public static void addAfter(ChannelPipeline pipeline, String baseName, int chunkSize) {
        pipeline.addAfter(baseName, "chunked-writer", new ChunkedWriteHandler());
        pipeline.addAfter("chunked-writer", "region-chunker", new FileRegionChunker(chunkSize));
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof FileRegion region) {
            ctx.write(new FileRegionInput(region, chunkSize), promise);
        } else {
            ctx.write(msg, promise);
        }
    }
}
