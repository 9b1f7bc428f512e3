package dev.portico.acme;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Two small listeners that answer ACME challenges and nothing else: an HTTP-01 one (the
 * {@code /.well-known/acme-challenge/} path, 404 for anything else) and a TLS-ALPN-01 one (the
 * validation certificate for a ClientHello offering {@code acme-tls/1}; other connections are
 * closed). For a host where no Portico web or proxy listener holds port 80 or 443, and for tests.
 * Web and proxy listeners answer challenges themselves through {@link Http01Answers} and
 * {@link TlsAlpn01Handler}.
 */
public final class ChallengeServer implements AutoCloseable {

    private static final int MAX_REQUEST = 8192;
    private static final int READ_TIMEOUT_SECONDS = 10;

    private final Channel http;
    private final Channel tls;

    private ChallengeServer(Channel http, Channel tls) {
        this.http = http;
        this.tls = tls;
    }

    /**
     * Binds both listeners.
     *
     * @param group   the event loops to run on (NIO)
     * @param http01  the HTTP-01 address (port 0 for any free port), or null for none
     * @param tlsAlpn the TLS-ALPN-01 address, or null for none
     * @param answers the HTTP-01 answers
     * @param certs   the TLS-ALPN-01 certificates
     * @throws InterruptedException when interrupted while binding
     */
    public static ChallengeServer start(EventLoopGroup group, InetSocketAddress http01, InetSocketAddress tlsAlpn,
                                        Http01Answers answers, TlsAlpn01Certificates certs) throws InterruptedException {
        Channel http = null;
        Channel tls = null;
        try {
            if (http01 != null) {
                http = bind(group, http01, new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(READ_TIMEOUT_SECONDS, TimeUnit.SECONDS),
                                new HttpServerCodec(MAX_REQUEST, MAX_REQUEST, MAX_REQUEST),
                                new HttpObjectAggregator(MAX_REQUEST), new Http01Handler(answers));
                    }
                });
            }
            if (tlsAlpn != null) {
                tls = bind(group, tlsAlpn, new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(READ_TIMEOUT_SECONDS, TimeUnit.SECONDS),
                                new TlsAlpn01Handler(certs), new CloseOnData());
                    }
                });
            }
        } catch (InterruptedException | RuntimeException e) {
            closeQuietly(http);
            closeQuietly(tls);
            throw e;
        }
        return new ChallengeServer(http, tls);
    }

    private static Channel bind(EventLoopGroup group, InetSocketAddress address, ChannelInitializer<SocketChannel> init)
            throws InterruptedException {
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class).childHandler(init)
                .bind(address).sync().channel();
    }

    /** Where the HTTP-01 listener is bound, or null when there is none. */
    public InetSocketAddress http01Address() {
        return http == null ? null : (InetSocketAddress) http.localAddress();
    }

    /** Where the TLS-ALPN-01 listener is bound, or null when there is none. */
    public InetSocketAddress tlsAlpn01Address() {
        return tls == null ? null : (InetSocketAddress) tls.localAddress();
    }

    @Override
    public void close() {
        closeQuietly(http);
        closeQuietly(tls);
    }

    private static void closeQuietly(Channel ch) {
        if (ch != null) {
            ch.close().syncUninterruptibly();
        }
    }

    /** Answers a GET or HEAD for a pending HTTP-01 token; 400 for what is not HTTP, 404 for anything else; one request per connection. */
    static final class Http01Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Http01Answers answers;

        Http01Handler(Http01Answers answers) {
            this.answers = answers;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (!req.decoderResult().isSuccess()) {
                byte[] body = "bad request\n".getBytes(StandardCharsets.US_ASCII);
                ctx.writeAndFlush(response(HttpResponseStatus.BAD_REQUEST, Unpooled.wrappedBuffer(body), body.length))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            FullHttpResponse res;
            boolean head = req.method().equals(HttpMethod.HEAD);
            Optional<String> answer = head || req.method().equals(HttpMethod.GET)
                    ? answers.answer(req.headers().get(HttpHeaderNames.HOST), new QueryStringDecoder(req.uri()).rawPath())
                    : Optional.empty();
            if (answer.isPresent()) {
                byte[] body = answer.get().getBytes(StandardCharsets.US_ASCII);
                res = response(HttpResponseStatus.OK, head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body), body.length);
            } else {
                byte[] body = "not found\n".getBytes(StandardCharsets.US_ASCII);
                res = response(HttpResponseStatus.NOT_FOUND, head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body),
                        body.length);
            }
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }

        private static FullHttpResponse response(HttpResponseStatus status, ByteBuf body, int length) {
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return res;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Behind {@link TlsAlpn01Handler}: whatever was not a validation handshake is dropped with the connection. */
    static final class CloseOnData extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
