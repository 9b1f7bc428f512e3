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

/**
 * Judges one HTTP response for {@link HttpProbe}; one instance per check. It also knows which step
 * of the exchange the check is in, for the words of a timeout.
 */
final class HttpProbeHandler extends SimpleChannelInboundHandler<HttpObject> {

    static final String CONNECTING = "connecting";
    static final String HANDSHAKE = "in the TLS handshake";
    static final String SENDING = "sending the request";
    static final String WAITING_FOR_HEAD = "waiting for the response head";
    static final String READING_BODY = "reading the body";

    private final HealthCheckConfig config;
    private final CompletableFuture<ProbeResult> result;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int status;
    /** Written on the channel's loop, read by the timeout task on another. */
    private volatile String step = CONNECTING;

    HttpProbeHandler(HealthCheckConfig config, CompletableFuture<ProbeResult> result) {
        this.config = config;
        this.result = result;
    }

    /** The step the exchange is in: {@link #CONNECTING}, {@link #SENDING} and so on. */
    String step() {
        return step;
    }

    void step(String value) {
        step = value;
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
            step = READING_BODY;
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
        if (cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() instanceof javax.net.ssl.SSLException) {
            // The TLS layer wraps its failures.
            cause = cause.getCause();
        }
        result.complete(ProbeResult.failed("http " + config.path() + ": " + ProbeResult.failed(cause).detail()));
        ctx.close();
    }
}
