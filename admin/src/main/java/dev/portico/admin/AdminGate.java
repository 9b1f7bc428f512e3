package dev.portico.admin;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * Checks a request's bearer token as soon as its headers are decoded, before anything buffers
 * its body: a request without a valid token gets 401 (a read-only token asking to change
 * something, 403) at once, its body is never read, and when it announced one the connection is
 * closed after the answer. Requests that pass go on to the aggregator and the routes.
 */
final class AdminGate extends ChannelInboundHandlerAdapter {

    private final AdminRoutes routes;
    private final Map<byte[], AdminRole> tokens;
    /** The body of a refused request is being dropped. */
    private boolean discarding;

    AdminGate(AdminRoutes routes, Map<byte[], AdminRole> tokens) {
        this.routes = routes;
        this.tokens = tokens;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req) {
            discarding = false;
            AdminResponse refusal = req.decoderResult().isSuccess() ? refusal(req) : null;
            if (refusal != null) {
                boolean announcesBody = HttpUtil.getContentLength(req, 0L) > 0 || HttpUtil.isTransferEncodingChunked(req);
                discarding = !(msg instanceof LastHttpContent);
                ReferenceCountUtil.release(msg);
                AdminChannelHandler.write(ctx, refusal, !announcesBody && HttpUtil.isKeepAlive(req),
                        HttpMethod.HEAD.equals(req.method()));
                return;
            }
        } else if (discarding && msg instanceof HttpContent) {
            discarding = !(msg instanceof LastHttpContent);
            ReferenceCountUtil.release(msg);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    /** The answer that refuses {@code req}, or null when it may go on. */
    private AdminResponse refusal(HttpRequest req) {
        if (tokens.isEmpty() || routes.isPublic(req.method(), new QueryStringDecoder(req.uri()).path())) {
            return null;
        }
        AdminRole role = role(req);
        if (role == null) {
            return AdminResponse.error(HttpResponseStatus.UNAUTHORIZED, "missing or wrong bearer token")
                    .withHeader("WWW-Authenticate", "Bearer realm=\"portico\"");
        }
        if (role == AdminRole.READ && !HttpMethod.GET.equals(req.method()) && !HttpMethod.HEAD.equals(req.method())) {
            return AdminResponse.error(HttpResponseStatus.FORBIDDEN,
                    "this token is read-only: " + req.method() + " needs a write token");
        }
        return null;
    }

    /** The role of the request's bearer token, or null when it has none or an unknown one. */
    private AdminRole role(HttpRequest req) {
        String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (h == null || h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        byte[] given = h.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        AdminRole found = null;
        for (Map.Entry<byte[], AdminRole> e : tokens.entrySet()) {
            // Compare with every token, without stopping early, so timing tells nothing.
            if (MessageDigest.isEqual(given, e.getKey()) && found != AdminRole.WRITE) {
                found = e.getValue();
            }
        }
        return found;
    }
}
