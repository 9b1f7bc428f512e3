package dev.portico.web.http;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.net.HostPort;
import dev.portico.core.transport.TcpListener;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The plain listener of a service's {@code tls.redirect_http}: opened, moved or closed to match
 * the config by {@link #update}, serving HTTP/1.1 with the context the service gives (which
 * answers 308 to the https URL, see {@link HttpListeners#redirectToHttps}). Used by web and proxy.
 */
public final class RedirectListener {

    private static final Logger log = LoggerFactory.getLogger(RedirectListener.class);

    private final String service;
    private final ServiceContext context;
    private final ChannelGroup channels;
    private final Supplier<HttpContext> http;
    private volatile TcpListener listener;
    private HostPort address;

    /**
     * @param service  the service's name, for logs
     * @param channels where accepted connections go, so the service drains them with its own
     * @param http     the redirect's current HTTP context, read per connection
     */
    public RedirectListener(String service, ServiceContext context, ChannelGroup channels, Supplier<HttpContext> http) {
        this.service = service;
        this.context = context;
        this.channels = channels;
        this.http = http;
    }

    /** Opens, keeps or closes the listener so that it listens on {@code want} (null: nowhere). */
    public synchronized void update(HostPort want, int backlog) throws IOException {
        if (Objects.equals(want, address)) {
            return;
        }
        if (listener != null) {
            log.info("{}: closed redirect listener {}", service, address);
            close();
        }
        if (want == null) {
            return;
        }
        listener = TcpListener.bind(context.transport(), context.workers(), want, backlog, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                channels.add(ch);
                HttpContext h = http.get();
                HttpConnection conn = new HttpConnection(http);
                ch.pipeline().addLast("first-byte", conn.firstByteWatcher())
                        .addLast("decoder", new StrictRequestDecoder(h.options().maxRequestLine(), h.options().maxHeaderSize()))
                        .addLast("http", conn);
            }
        });
        address = want;
        log.info("{}: redirecting http://{} to https", service, listener.address());
    }

    /** The bound port, or -1 when there is no listener. */
    public int port() {
        TcpListener l = listener;
        return l == null ? -1 : l.localAddress().getPort();
    }

    /** {@code http://HOST:PORT/ (redirects to https)} for the banner, or null. */
    public String endpoint() {
        TcpListener l = listener;
        return l == null ? null : HttpListeners.endpoints(List.of(l)).getFirst() + " (redirects to https)";
    }

    /** Closes the listener, if open; connections already accepted stay with the service. */
    public synchronized void close() {
        if (listener != null) {
            listener.close();
            listener = null;
            address = null;
        }
    }
}
