package dev.portico.admin;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Reads one request at a time per connection (reading pauses while a handler runs, so that
 * pipelined requests are answered in order), routes, and writes the answer. The token was checked
 * before the body was read ({@link AdminGate}).
 */
final class AdminChannelHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(AdminChannelHandler.class);

    private final AdminRoutes routes;
    private final Executor executor;

    AdminChannelHandler(AdminRoutes routes, Executor executor) {
        this.routes = routes;
        this.executor = executor;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        boolean head = HttpMethod.HEAD.equals(req.method());
        if (!req.decoderResult().isSuccess()) {
            write(ctx, AdminResponse.error(HttpResponseStatus.BAD_REQUEST, "malformed request"), false, false);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(req.uri());
        String path = uri.path();
        Optional<AdminHandler> handler = routes.find(req.method(), path);
        if (handler.isEmpty()) {
            Set<String> allowed = routes.methods(path);
            AdminResponse r = allowed.isEmpty()
                    ? AdminResponse.error(HttpResponseStatus.NOT_FOUND, "no admin route for " + path)
                    : AdminResponse.error(HttpResponseStatus.METHOD_NOT_ALLOWED, req.method() + " is not allowed on " + path)
                            .withHeader("Allow", String.join(", ", allowed));
            write(ctx, r, keepAlive, head);
            return;
        }
        AdminRequest request = new AdminRequest(head ? HttpMethod.GET : req.method(), path, uri.parameters(),
                req.headers().copy(), ByteBufUtil.getBytes(req.content()),
                (InetSocketAddress) ctx.channel().remoteAddress());
        ctx.channel().config().setAutoRead(false);
        try {
            executor.execute(() -> {
                AdminResponse r;
                try {
                    r = handler.get().handle(request);
                } catch (Exception | LinkageError e) {
                    log.warn("admin {} {} failed", request.method(), path, e);
                    r = AdminResponse.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, String.valueOf(e.getMessage()));
                }
                write(ctx, r, keepAlive, head);
            });
        } catch (RejectedExecutionException e) {
            write(ctx, AdminResponse.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "shutting down"), false, head);
        }
    }

    /** Writes {@code r}; without keep-alive the connection closes once it is sent, else reading resumes. */
    static void write(ChannelHandlerContext ctx, AdminResponse r, boolean keepAlive, boolean head) {
        FullHttpResponse res = new DefaultFullHttpResponse(io.netty.handler.codec.http.HttpVersion.HTTP_1_1, r.status(),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(r.body()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        r.headers().forEach(res.headers()::set);
        if (!keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.writeAndFlush(res).addListener((ChannelFutureListener) f -> {
            if (!keepAlive || !f.isSuccess()) {
                f.channel().close();
            } else {
                f.channel().config().setAutoRead(true);
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("admin connection from {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
