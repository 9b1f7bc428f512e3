package dev.portico.upstream.health;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/** Judges one HTTP response for {@link HttpProbe}; one instance per check. */
final class HttpProbeHandler extends SimpleChannelInboundHandler<HttpObject> {

    private final HealthCheckConfig config;
    private final CompletableFuture<ProbeResult> result;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int status;

    HttpProbeHandler(HealthCheckConfig config, CompletableFuture<ProbeResult> result) {
        this.config = config;
        this.result = result;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        if (result.isDone()) {
            return;
        }
        if (msg.decoderResult().isFailure()) {
            result.complete(ProbeResult.failed("http: malformed response: " + msg.decoderResult().cause()));
            return;
        }
        if (msg instanceof HttpResponse response) {
            status = response.status().code();
            if (!config.expect().matches(status)) {
                result.complete(ProbeResult.failed("http " + config.path() + ": status " + status
                        + " (expected " + config.expect() + ")"));
                return;
            }
            if (config.bodyContains().isEmpty()) {
                result.complete(ProbeResult.passed("http " + config.path() + ": status " + status));
                return;
            }
        }
        if (msg instanceof HttpContent content) {
            append(content.content());
            if (msg instanceof LastHttpContent || body.size() >= HealthCheckConfig.MAX_BODY_BYTES) {
                judgeBody();
            }
        }
    }

    private void append(ByteBuf buf) {
        int room = HealthCheckConfig.MAX_BODY_BYTES - body.size();
        int n = Math.min(room, buf.readableBytes());
        if (n > 0) {
            byte[] bytes = new byte[n];
            buf.getBytes(buf.readerIndex(), bytes);
            body.write(bytes, 0, n);
        }
    }

    private void judgeBody() {
        String text = body.toString(StandardCharsets.UTF_8);
        if (text.contains(config.bodyContains())) {
            result.complete(ProbeResult.passed("http " + config.path() + ": status " + status + ", body matched"));
        } else {
            result.complete(ProbeResult.failed("http " + config.path() + ": status " + status
                    + ", body lacks \"" + config.bodyContains() + "\""));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!result.isDone()) {
            // A response without Content-Length ends at close; judge what arrived.
            if (status != 0 && !config.bodyContains().isEmpty()) {
                judgeBody();
            } else {
                result.complete(ProbeResult.failed("http " + config.path() + ": connection closed before a response"));
            }
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        result.complete(ProbeResult.failed("http " + config.path() + ": " + ProbeResult.failed(cause).detail()));
        ctx.close();
    }
}
