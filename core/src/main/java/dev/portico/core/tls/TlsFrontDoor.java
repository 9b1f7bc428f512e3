package dev.portico.core.tls;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLPeerUnverifiedException;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;

/**
 * The first handler of a TLS listener's connections. It looks at the first byte:
 * <ul>
 *   <li>a TLS handshake record: the SNI handler goes in (it becomes the {@link SslHandler} named
 *       {@value #SSL}, with the certificate the name selects; when one certificate answers every
 *       name, that {@link SslHandler} goes in at once), and once the handshake is done the
 *       service's {@link Protocols} hook adds the handlers for the protocol ALPN chose;</li>
 *   <li>an upper-case letter, the start of a plain HTTP request: a short {@code 400} saying so, and
 *       a close, as nginx answers;</li>
 *   <li>anything else: a close, with a DEBUG line.</li>
 * </ul>
 * A connection whose handshake has not finished {@code handshake_timeout} after it was accepted is
 * closed. Handlers the hook adds see {@code channelActive} as if the connection had just opened,
 * and the verified client certificate (mutual TLS) is on the channel as {@link #PEER_CERTIFICATE}.
 */
public final class TlsFrontDoor extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(TlsFrontDoor.class);

    /** The name of this handler. */
    public static final String NAME = "tls-front";
    /** The name of the {@link SslHandler} once the client's hello has chosen a certificate. */
    public static final String SSL = "tls";
    /** The name of the handler that waits for the handshake. */
    public static final String HANDSHAKE = "tls-handshake";
    /** The client's verified certificate (mutual TLS), set after the handshake; absent without one. */
    public static final AttributeKey<X509Certificate> PEER_CERTIFICATE = AttributeKey.valueOf("portico.tls.peer");

    private static final int MAX_CLIENT_HELLO = 64 * 1024;
    private static final byte[] PLAIN_HTTP = ("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 38\r\nConnection: close\r\n\r\nplain HTTP request sent to HTTPS port\n")
            .getBytes(StandardCharsets.US_ASCII);

    /**
     * What a service adds once the handshake is done, according to ALPN. Both methods get the
     * pipeline with the {@link SslHandler} named {@value #SSL} in it and nothing after it.
     */
    public interface Protocols {
        /** HTTP/1.1: also when ALPN was not used or chose another protocol. */
        void http1(ChannelPipeline pipeline);

        /** HTTP/2 ({@code h2} chosen by ALPN); only offered when the service supports it. */
        default void http2(ChannelPipeline pipeline) {
            http1(pipeline);
        }
    }

    /**
     * Places for connections in their handshake. The connection takes one when it is accepted and
     * gives it back when the handshake is over (before {@link Protocols} hands it to the service,
     * which counts it from then on) or when it closes.
     */
    public interface Admission {
        /** No limit. */
        Admission UNLIMITED = new Admission() {
            @Override
            public boolean tryAcquire() {
                return true;
            }

            @Override
            public void release() {
            }
        };

        /** Takes a place; false when none is free. */
        boolean tryAcquire();

        /** Gives a place back. */
        void release();
    }

    private final ServerTls tls;
    private final Handshake handshake;
    private final boolean http2;

    private TlsFrontDoor(ServerTls tls, Handshake handshake, boolean http2) {
        this.tls = tls;
        this.handshake = handshake;
        this.http2 = http2;
    }

    /** Adds the front door and the handshake watcher to a new connection's pipeline. */
    static void install(ChannelPipeline pipeline, ServerTls tls, Protocols protocols, Admission admission,
                        boolean http2) {
        if (!admission.tryAcquire()) {
            log.debug("{}: connection limit reached (handshakes included); closed", pipeline.channel().remoteAddress());
            pipeline.channel().close();
            return;
        }
        Handshake h = new Handshake(protocols, tls.settings().handshakeTimeout().toMillis(), admission,
                tls.settings().clientCa() != null);
        pipeline.addLast(NAME, new TlsFrontDoor(tls, h, http2)).addLast(HANDSHAKE, h);
    }

    /** The verified client certificate of a connection, or null. */
    public static X509Certificate peerCertificate(Channel channel) {
        return channel.attr(PEER_CERTIFICATE).get();
    }

    /** The verified client certificate's subject (RFC 2253), or null. */
    public static String peerSubject(Channel channel) {
        X509Certificate c = peerCertificate(channel);
        return c == null ? null : c.getSubjectX500Principal().getName();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!buf.isReadable()) {
            buf.release();
            return;
        }
        int first = buf.getUnsignedByte(buf.readerIndex());
        if (first == 0x16) {
            ChannelPipeline p = ctx.pipeline();
            ServerTls.Entry only = tls.onlyEntry();
            if (only != null) {
                // one certificate answers every name: the server name need not be read first
                SslHandler ssl = newSslHandler(only, only.context(http2), ctx.alloc());
                try {
                    p.addAfter(ctx.name(), SSL, ssl);
                    ssl = null;
                } finally {
                    if (ssl != null) {
                        ReferenceCountUtil.safeRelease(ssl.engine());
                    }
                }
            } else {
                p.addAfter(ctx.name(), SSL, new Sni(tls, http2));
            }
            ctx.fireChannelRead(buf);
            p.remove(this);
            return;
        }
        ReferenceCountUtil.release(buf);
        handshake.done = true;
        handshake.cancel();
        handshake.release();
        if (first >= 'A' && first <= 'Z') {
            log.debug("{}: plain HTTP on the TLS port; answered 400", ctx.channel().remoteAddress());
            ctx.writeAndFlush(Unpooled.wrappedBuffer(PLAIN_HTTP)).addListener(ChannelFutureListener.CLOSE);
        } else {
            log.debug("{}: not TLS (first byte 0x{}); closed", ctx.channel().remoteAddress(), Integer.toHexString(first));
            ctx.close();
        }
    }

    /**
     * The handler for one connection with {@code context}, from {@code entry}. It has no handshake
     * timeout of its own: {@link Handshake} closes the connection when the handshake is not done
     * {@code handshake_timeout} after the accept, which covers the wait for the client's hello too.
     */
    static SslHandler newSslHandler(ServerTls.Entry entry, SslContext context, ByteBufAllocator allocator) {
        SslHandler h = context.newHandler(allocator);
        h.setHandshakeTimeoutMillis(0);
        if (entry != null && entry.ocsp() != null && h.engine() instanceof ReferenceCountedOpenSslEngine engine) {
            engine.setOcspResponse(entry.ocsp());
        }
        return h;
    }

    /** The SNI handler: the certificate by name, and the OCSP staple for it. */
    private static final class Sni extends SniHandler {
        private final ServerTls tls;
        private final boolean http2;
        private ServerTls.Entry chosen;

        Sni(ServerTls tls, boolean http2) {
            // no timeout of its own: Handshake's covers the wait for the hello
            super(tls, MAX_CLIENT_HELLO, 0);
            this.tls = tls;
            this.http2 = http2;
        }

        @Override
        protected Future<SslContext> lookup(ChannelHandlerContext ctx, String hostname) {
            chosen = tls.entry(hostname);
            return ctx.executor().newSucceededFuture(chosen.context(http2));
        }

        @Override
        protected void replaceHandler(ChannelHandlerContext ctx, String hostname, SslContext context) {
            SslHandler ssl = newSslHandler(context, ctx.alloc());
            try {
                ctx.pipeline().replace(this, SSL, ssl);
                ssl = null;
            } finally {
                if (ssl != null) {
                    ReferenceCountUtil.safeRelease(ssl.engine());
                }
            }
        }

        @Override
        protected SslHandler newSslHandler(SslContext context, ByteBufAllocator allocator) {
            ServerTls.Entry e = chosen;
            return TlsFrontDoor.newSslHandler(e != null && (e.context() == context || e.http1() == context) ? e : null,
                    context, allocator);
        }
    }

    /**
     * Closes the connection when the handshake is not done in time; afterwards hands the pipeline
     * to the service's hook and leaves.
     */
    private static final class Handshake extends ChannelInboundHandlerAdapter {
        private final Protocols protocols;
        private final long timeoutMillis;
        private final Admission admission;
        private final boolean clientCertificates;
        private ScheduledFuture<?> timer;
        private boolean done;
        private boolean holding = true;

        Handshake(Protocols protocols, long timeoutMillis, Admission admission, boolean clientCertificates) {
            this.protocols = protocols;
            this.timeoutMillis = timeoutMillis;
            this.admission = admission;
            this.clientCertificates = clientCertificates;
        }

        /** Gives the admission place back, once. */
        void release() {
            if (holding) {
                holding = false;
                admission.release();
            }
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (ctx.channel().isActive()) {
                arm(ctx);
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            arm(ctx);
        }

        private void arm(ChannelHandlerContext ctx) {
            if (timer == null && !done) {
                timer = ctx.executor().schedule(() -> {
                    if (!done) {
                        log.debug("{}: TLS handshake not done in {} ms; closed", ctx.channel().remoteAddress(), timeoutMillis);
                        ctx.close();
                    }
                }, timeoutMillis, TimeUnit.MILLISECONDS);
            }
        }

        void cancel() {
            if (timer != null) {
                timer.cancel(false);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            cancel();
            release();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            release();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (!(evt instanceof SslHandshakeCompletionEvent e)) {
                ctx.fireUserEventTriggered(evt);
                return;
            }
            done = true;
            cancel();
            release();
            if (!e.isSuccess()) {
                log.debug("{}: TLS handshake failed: {}", ctx.channel().remoteAddress(), e.cause().toString());
                ctx.close();
                return;
            }
            ChannelPipeline p = ctx.pipeline();
            SslHandler ssl = (SslHandler) p.get(SSL);
            if (ssl == null) {
                // The handshake of an SslHandler put ahead of the listener's: an ACME tls-alpn-01
                // validation (RFC 8737), after which no application data flows. Nothing to serve.
                log.debug("{}: a handshake other than the listener's (ALPN {}); closed", ctx.channel().remoteAddress(),
                        p.get(SslHandler.class) != null ? p.get(SslHandler.class).applicationProtocol() : "none");
                ctx.close();
                return;
            }
            if (clientCertificates) {
                // only asked when a client may have sent one: without, the engine throws (a stack trace per handshake)
                try {
                    Certificate[] peer = ssl.engine().getSession().getPeerCertificates();
                    if (peer.length > 0 && peer[0] instanceof X509Certificate x) {
                        ctx.channel().attr(PEER_CERTIFICATE).set(x);
                    }
                } catch (SSLPeerUnverifiedException none) {
                    // no client certificate
                }
            }
            p.remove(this);
            if (ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol())) {
                protocols.http2(p);
            } else {
                protocols.http1(p);
            }
            p.context(SSL).fireChannelActive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("{}: TLS connection failed before its handshake was done: {}", ctx.channel().remoteAddress(),
                    cause.toString());
            ctx.close();
        }
    }
}
