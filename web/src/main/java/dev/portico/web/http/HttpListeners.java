package dev.portico.web.http;

import dev.portico.core.limits.IdleConnection;
import dev.portico.core.transport.TcpListener;
import dev.portico.web.h2.Http2Server;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** What every HTTP service (web, proxy) does with its listeners and connections. */
public final class HttpListeners {

    private HttpListeners() {
    }

    /**
     * The answer of a {@code redirect_http} listener: 308 to the same host, path and query over
     * https. Without a Host the listener's own address is used; an absolute-form target keeps
     * only its path and query.
     *
     * @param httpsPort the port of the service's TLS listener (443 and below 1 are left out of the URL)
     */
    public static boolean redirectToHttps(Exchange ex, int httpsPort) {
        String host = ex.host();
        if (host == null || host.isEmpty()) {
            InetSocketAddress local = (InetSocketAddress) ex.context().channel().localAddress();
            host = local.getAddress().getHostAddress();
        }
        if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        String target = ex.request().uri();
        if (!target.startsWith("/")) {
            int scheme = target.indexOf("://");
            int slash = scheme < 0 ? -1 : target.indexOf('/', scheme + 3);
            target = slash < 0 ? "/" : target.substring(slash);
        }
        ex.redirect(308, "https://" + host + (httpsPort == 443 || httpsPort <= 0 ? "" : ":" + httpsPort) + target);
        return true;
    }

    /** {@code http://HOST:PORT/} of each bound listener; wildcard hosts shown as 127.0.0.1. */
    public static List<String> endpoints(Collection<TcpListener> listeners) {
        List<String> out = new ArrayList<>();
        for (TcpListener l : listeners) {
            InetSocketAddress a = l.localAddress();
            String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
            out.add("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/");
        }
        return out;
    }

    /**
     * Hands each connection of {@code channels} that sits between requests (an HTTP/2 one: without
     * open streams) to {@code into}, with a close that acts on the connection's loop and only if
     * it is still idle by then.
     */
    public static void idle(ChannelGroup channels, Consumer<IdleConnection> into) {
        for (Channel ch : channels) {
            if (Http2Server.idle(ch, into)) {
                continue;
            }
            HttpConnection c = ch.pipeline().get(HttpConnection.class);
            long since = c == null ? Long.MAX_VALUE : c.idleSince();
            if (since != Long.MAX_VALUE) {
                into.accept(new IdleConnection(since, () -> ch.eventLoop().execute(() -> c.closeIfIdleSince(since))));
            }
        }
    }

    /**
     * Asks every connection to finish its exchange in flight and close (idle ones close at once),
     * waits up to {@code grace} for them, then closes what is left.
     */
    public static void drain(ChannelGroup channels, Duration grace) {
        channels.forEach(ch -> ch.pipeline().fireUserEventTriggered(HttpConnection.DRAIN));
        long deadline = System.nanoTime() + grace.toNanos();
        while (!channels.isEmpty() && System.nanoTime() < deadline) {
            channels.newCloseFuture().awaitUninterruptibly(Math.max(1, Math.min(100,
                    TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
        }
        channels.close().awaitUninterruptibly(2000);
    }
}
