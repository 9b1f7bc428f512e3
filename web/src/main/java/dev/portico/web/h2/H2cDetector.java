package dev.portico.web.h2;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Looks at the first bytes of a plain connection: the HTTP/2 client preface (RFC 9113 §3.4)
 * switches the connection to HTTP/2, anything else leaves the HTTP/1.1 pipeline as it was. It
 * decides at the first byte that differs from the preface, so an HTTP/1.1 request waits for no
 * more than it already sent, and the bytes read pass on untouched either way.
 */
final class H2cDetector extends ByteToMessageDecoder {

    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Http2Server server;

    H2cDetector(Http2Server server) {
        this.server = server;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int n = Math.min(in.readableBytes(), PREFACE.length);
        int at = in.readerIndex();
        for (int i = 0; i < n; i++) {
            if (in.getByte(at + i) != PREFACE[i]) {
                ctx.pipeline().remove(this);
                return;
            }
        }
        if (n == PREFACE.length) {
            server.install(ctx.pipeline(), ctx.name());
            // Removing this handler passes the bytes held, the preface first, to the codec.
            ctx.pipeline().remove(this);
        }
    }
}
