package dev.portico.web.http;

import dev.portico.core.transport.TcpListener;
import io.netty.channel.group.ChannelGroup;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What every HTTP service (web, proxy) does with its listeners and connections. */
public final class HttpListeners {

    private HttpListeners() {
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
