package dev.portico.upstream.health;

import dev.portico.upstream.Backend;
import dev.portico.upstream.FailureText;
import dev.portico.core.net.HostPort;
import dev.portico.core.tls.ClientTls;
import dev.portico.core.tls.ClientTlsException;
import dev.portico.core.tls.ClientTlsSettings;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslHandler;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Sends {@code GET path} over HTTP/1.1 with {@code Connection: close} and passes when the status
 * is expected and, if configured, the first {@value HealthCheckConfig#MAX_BODY_BYTES} bytes of the
 * body contain the configured text. It judges the response as soon as it has what it needs (the
 * head, or the body up to the text) and closes the connection itself, so a server that keeps the
 * connection open regardless costs nothing. The whole exchange is bounded by the check timeout; a
 * check that runs out of it says what it was waiting for.
 *
 * <p>The check runs over TLS for {@code https}, and for {@code http} when the backend's connections
 * are TLS and the check goes to its own port, with the backend's TLS settings (the defaults for an
 * {@code https} check of a plain backend). A handshake that fails says why, as the data path does:
 * {@code certificate has expired}, {@code unknown CA}, {@code name mismatch} (see
 * {@link FailureText#tls}).
 */
final class HttpProbe implements Probe {

    private final Connector connector;
    private final HealthCheckConfig config;
    /** TLS for an {@code https} check of a backend without TLS settings of its own; made on first use. */
    private volatile ClientTls defaultTls;

    HttpProbe(Connector connector, HealthCheckConfig config) {
        this.connector = connector;
        this.config = config;
    }

    /** The TLS a check of {@code backend} uses, or null for plain HTTP. */
    private ClientTls tls(Backend backend) throws ClientTlsException {
        if (backend.tls() != null && (config.type() == HealthCheckType.HTTPS || config.port() == 0)) {
            return backend.tls();
        }
        if (config.type() != HealthCheckType.HTTPS) {
            return null;
        }
        ClientTls d = defaultTls;
        if (d == null) {
            d = ClientTls.create(ClientTlsSettings.DEFAULTS, true);
            defaultTls = d;
        }
        return d;
    }

    @Override
    public CompletableFuture<ProbeResult> check(Backend backend) {
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        HostPort target = connector.target(backend);
        ClientTls tls;
        try {
            tls = tls(backend);
        } catch (ClientTlsException e) {
            result.complete(ProbeResult.failed("https " + target + ": " + e.getMessage()));
            return result;
        }
        String scheme = tls == null ? "http " : "https ";
        FullHttpRequest request = request(target, tls != null);
        HttpProbeHandler handler = new HttpProbeHandler(config, result);
        ChannelFuture connect = connector.connect(backend, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (tls != null) {
                    ch.pipeline().addLast(tls.newHandler(ch.alloc(), target.host(), target.port(), connector.timeout()));
                }
                ch.pipeline().addLast(new HttpClientCodec(), handler);
            }
        });
        Channel channel = connect.channel();
        var timeout = connector.group().next().schedule(
                () -> result.complete(ProbeResult.failed(scheme + target + config.path() + ": "
                        + FailureText.timedOut(connector.timeout(), handler.step()))),
                connector.timeout().toNanos(), TimeUnit.NANOSECONDS);
        connect.addListener(future -> {
            if (!future.isSuccess()) {
                request.release();
                result.complete(ProbeResult.failed(scheme + target + ": connect failed: "
                        + ProbeResult.failed(future.cause()).detail()));
                return;
            }
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            if (ssl == null) {
                send(channel, request, handler, result, scheme, target);
                return;
            }
            handler.step(HttpProbeHandler.HANDSHAKE);
            ssl.handshakeFuture().addListener(hs -> {
                if (hs.isSuccess()) {
                    send(channel, request, handler, result, scheme, target);
                } else {
                    request.release();
                    result.complete(ProbeResult.failed(scheme + target + ": " + FailureText.of(hs.cause())));
                }
            });
        });
        result.whenComplete((r, e) -> {
            timeout.cancel(false);
            channel.close();
        });
        return result;
    }

    private static void send(Channel channel, FullHttpRequest request, HttpProbeHandler handler,
                             CompletableFuture<ProbeResult> result, String scheme, HostPort target) {
        handler.step(HttpProbeHandler.SENDING);
        channel.writeAndFlush(request).addListener(w -> {
            if (w.isSuccess()) {
                handler.step(HttpProbeHandler.WAITING_FOR_HEAD);
            } else {
                result.complete(ProbeResult.failed(scheme + target + ": write failed: "
                        + ProbeResult.failed(w.cause()).detail()));
            }
        });
    }

    private FullHttpRequest request(HostPort target, boolean tls) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, config.path());
        String host = !config.hostHeader().isEmpty() ? config.hostHeader()
                : target.port() == (tls ? 443 : 80) ? hostOnly(target) : target.toString();
        request.headers()
                .set(HttpHeaderNames.HOST, host)
                .set(HttpHeaderNames.USER_AGENT, "portico-health-check")
                .set(HttpHeaderNames.ACCEPT, "*/*")
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                .set(HttpHeaderNames.CONTENT_LENGTH, 0);
        return request;
    }

    private static String hostOnly(HostPort target) {
        return target.host().indexOf(':') >= 0 ? "[" + target.host() + "]" : target.host();
    }

    @Override
    public String toString() {
        return config.type() + ":" + config.path();
    }
}
