package dev.portico.acme;

import dev.portico.core.tls.ClientHelloParser;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslClientHelloHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.Future;

import javax.net.ssl.SSLException;
import java.util.List;
import java.util.Optional;

/**
 * First handler of a TLS listener's pipeline: it reads the ClientHello without consuming it and,
 * when the hello offers exactly the ALPN protocol {@code acme-tls/1} for a name with a pending
 * TLS-ALPN-01 challenge, puts in its place an {@link SslHandler} that answers with the validation
 * certificate and selects {@code acme-tls/1} (RFC 8737). Any other hello, or bytes that are not a
 * hello, go on untouched to the next handler (the listener's SNI handler, say), and this handler
 * removes itself. Certificates cannot be chosen by the SNI mapping alone, since an ordinary
 * client and the ACME server ask for the same name and only the ALPN offer tells them apart.
 *
 * <p>One instance per channel. A validation handshake builds its own {@link SslContext} on the JDK
 * provider (nothing to release); there are a few of those per order, so nothing is cached.
 */
public final class TlsAlpn01Handler extends SslClientHelloHandler<SslContext> {

    private final TlsAlpn01Certificates certificates;

    /** @param certificates where the validation certificates come from ({@link PendingChallenges}) */
    public TlsAlpn01Handler(TlsAlpn01Certificates certificates) {
        this.certificates = certificates;
    }

    @Override
    protected Future<SslContext> lookup(ChannelHandlerContext ctx, ByteBuf clientHello) throws SSLException {
        return ctx.executor().newSucceededFuture(select(clientHello));
    }

    private SslContext select(ByteBuf clientHello) throws SSLException {
        if (!certificates.anyPending()) {
            return null;
        }
        if (!(ClientHelloParser.parseBody(clientHello) instanceof ClientHelloParser.Hello hello)
                || hello.serverName() == null || !hello.alpn().equals(List.of(TlsAlpn01Certificates.ACME_TLS_1))) {
            return null;
        }
        Optional<TlsAlpn01Certificates.ValidationCertificate> cert = certificates.forName(hello.serverName());
        if (cert.isEmpty()) {
            return null;
        }
        return SslContextBuilder.forServer(cert.get().key(), cert.get().certificate())
                .sslProvider(SslProvider.JDK)
                .protocols("TLSv1.3", "TLSv1.2")
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.FATAL_ALERT,
                        TlsAlpn01Certificates.ACME_TLS_1))
                .build();
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, Future<SslContext> future) {
        SslContext context = future.getNow();
        if (context == null) {
            ctx.pipeline().remove(this);
            return;
        }
        SslHandler ssl = context.newHandler(ctx.alloc());
        ctx.pipeline().replace(this, SslHandler.class.getName(), ssl);
    }
}
