package dev.portico.upstream.health;

import dev.portico.upstream.Backend;
import dev.portico.upstream.FailureText;
import dev.portico.core.net.HostPort;
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

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Sends {@code GET path} over HTTP/1.1 with {@code Connection: close} and passes when the status
 * is expected and, if configured, the first {@value HealthCheckConfig#MAX_BODY_BYTES} bytes of the
 * body contain the configured text. It judges the response as soon as it has what it needs (the
 * head, or the body up to the text) and closes the connection itself, so a server that keeps the
 * connection open regardless costs nothing. The whole exchange is bounded by the check timeout; a
 * check that runs out of it says what it was waiting for.
 */
final class HttpProbe implements Probe {

    private final Connector connector;
    private final HealthCheckConfig config;

    HttpProbe(Connector connector, HealthCheckConfig config) {
        this.connector = connector;
        this.config = config;
    }

    @Override
    public CompletableFuture<ProbeResult> check(Backend backend) {
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        HostPort target = connector.target(backend);
        FullHttpRequest request = request(target);
        HttpProbeHandler handler = new HttpProbeHandler(config, result);
        ChannelFuture connect = connector.connect(backend, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), handler);
            }
        });
        Channel channel = connect.channel();
        var timeout = connector.group().next().schedule(
                () -> result.complete(ProbeResult.failed("http " + target + config.path() + ": "
                        + FailureText.timedOut(connector.timeout(), handler.step()))),
                connector.timeout().toNanos(), TimeUnit.NANOSECONDS);
        connect.addListener(future -> {
            if (future.isSuccess()) {
                handler.step(HttpProbeHandler.SENDING);
                channel.writeAndFlush(request).addListener(w -> {
                    if (w.isSuccess()) {
                        handler.step(HttpProbeHandler.WAITING_FOR_HEAD);
                    } else {
                        result.complete(ProbeResult.failed("http " + target + ": write failed: "
                                + ProbeResult.failed(w.cause()).detail()));
                    }
                });
            } else {
                request.release();
                result.complete(ProbeResult.failed("http " + target + ": connect failed: "
                        + ProbeResult.failed(future.cause()).detail()));
            }
        });
        result.whenComplete((r, e) -> {
            timeout.cancel(false);
            channel.close();
        });
        return result;
    }

    private FullHttpRequest request(HostPort target) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, config.path());
        String host = !config.hostHeader().isEmpty() ? config.hostHeader()
                : target.port() == 80 ? hostOnly(target) : target.toString();
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
        return "http:" + config.path();
    }
}
