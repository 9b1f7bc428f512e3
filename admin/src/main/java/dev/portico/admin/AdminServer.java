package dev.portico.admin;

import dev.portico.core.limits.DescriptorBudget;
import dev.portico.core.metrics.Metrics;
import dev.portico.core.net.HostPort;
import dev.portico.core.transport.TcpListener;
import dev.portico.core.transport.Transport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import dev.portico.core.tls.ServerTls;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The admin HTTP endpoint: {@code GET /metrics} (Prometheus text), {@code GET /healthz} and any
 * routes added through the builder. Listens on loopback by default. With tokens set, every
 * request but a {@code GET} or {@code HEAD} of {@code /healthz} (and of routes added as public)
 * needs {@code Authorization: Bearer TOKEN} and gets 401 without it; a {@link AdminRole#READ
 * read-only} token gets 403 on anything but {@code GET} and {@code HEAD}. The token is checked as
 * soon as the headers are in, so a refused request's body is never read. At most
 * {@link Builder#maxConnections} connections are open at once (one more is closed as it is
 * accepted) and bodies above {@link Builder#maxBody} get 413. Unknown paths get a 404 with a JSON
 * body.
 *
 * <pre>{@code
 * AdminServer admin = AdminServer.builder(metrics)
 *         .listen(HostPort.parse("127.0.0.1:9090"))
 *         .token("s3cret")
 *         .executor(blockingPool)
 *         .build()
 *         .start(transport, workers);
 * }</pre>
 */
public final class AdminServer implements AutoCloseable {

    /** Where the admin endpoint listens unless told otherwise. */
    public static final HostPort DEFAULT_LISTEN = new HostPort("127.0.0.1", 9090);

    /** Longest request body accepted unless configured. */
    public static final int DEFAULT_MAX_BODY = 1 << 20;
    /** Connections held open at once unless configured. */
    public static final int DEFAULT_MAX_CONNECTIONS = DescriptorBudget.DEFAULT_ADMIN_CONNECTIONS;

    private final HostPort listen;
    private final Map<byte[], AdminRole> tokens;
    private final AdminRoutes routes;
    private final Executor executor;
    private final int maxConnections;
    private final int maxBody;
    private final AtomicInteger open = new AtomicInteger();
    /** Certificates of an HTTPS endpoint, or null for plain HTTP; closed with the server. */
    private final ServerTls tls;
    private final Consumer<ChannelPipeline> onTlsConnection;
    private volatile TcpListener listener;
    private final ChannelGroup connections = new DefaultChannelGroup("admin", GlobalEventExecutor.INSTANCE);

    private AdminServer(Builder b) {
        this.listen = b.listen;
        Map<byte[], AdminRole> t = new LinkedHashMap<>();
        b.tokens.forEach((secret, role) -> t.put(secret.getBytes(StandardCharsets.UTF_8), role));
        this.tokens = Collections.unmodifiableMap(t);
        this.executor = b.executor;
        this.routes = b.routes.copy();
        this.maxConnections = b.maxConnections;
        this.maxBody = b.maxBody;
        this.tls = b.tls;
        this.onTlsConnection = b.onTlsConnection;
    }

    /** A builder with {@code /metrics} from {@code metrics} and {@code /healthz} already routed. */
    public static Builder builder(Metrics metrics) {
        return new Builder(metrics);
    }

    /** Binds the listen address on the given loops. */
    public AdminServer start(Transport transport, EventLoopGroup group) throws IOException {
        if (listener != null) {
            throw new IllegalStateException("admin server already started");
        }
        listener = TcpListener.bind(transport, group, listen, 128, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (open.incrementAndGet() > maxConnections) {
                    open.decrementAndGet();
                    ch.close();
                    return;
                }
                ch.closeFuture().addListener(f -> open.decrementAndGet());
                connections.add(ch);
                if (tls != null) {
                    tls.install(ch.pipeline(), AdminServer.this::addHttp);
                    onTlsConnection.accept(ch.pipeline());
                } else {
                    addHttp(ch.pipeline());
                }
            }
        });
        return this;
    }

    private void addHttp(ChannelPipeline p) {
        p.addLast(new IdleStateHandler(0, 0, 60, TimeUnit.SECONDS),
                new HttpServerCodec(),
                new AdminGate(routes, tokens),
                new BoundedAggregator(maxBody),
                new AdminChannelHandler(routes, executor));
    }

    /** The certificates of an HTTPS endpoint, or null for plain HTTP. */
    public ServerTls tls() {
        return tls;
    }

    /** Connections open now. */
    public int openConnections() {
        return open.get();
    }

    /** The address as configured. */
    public HostPort listen() {
        return listen;
    }

    /** The address actually bound. */
    public InetSocketAddress localAddress() {
        TcpListener l = listener;
        if (l == null) {
            throw new IllegalStateException("admin server not started");
        }
        return l.localAddress();
    }

    /** {@code http://HOST:PORT} (or {@code https://} with TLS) of the bound address, wildcard hosts shown as 127.0.0.1. */
    public String baseUrl() {
        InetSocketAddress a = localAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return (tls != null ? "https://" : "http://") + new HostPort(host, a.getPort());
    }

    /** True when requests need a bearer token. */
    public boolean hasToken() {
        return !tokens.isEmpty();
    }

    /**
     * Stops listening and closes every open admin connection too, so that a keep-alive client (a
     * dashboard tab) cannot go on using tokens that a reload has revoked.
     */
    @Override
    public void close() {
        TcpListener l = listener;
        if (l != null) {
            l.close();
        }
        connections.close().awaitUninterruptibly(2000);
        if (tls != null) {
            tls.close();
        }
    }

    /** Buffers a request's body up to the limit; above it answers 413 and closes the connection. */
    private static final class BoundedAggregator extends HttpObjectAggregator {

        BoundedAggregator(int maxBody) {
            super(maxBody);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            AdminChannelHandler.write(ctx, AdminResponse.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "request body above " + maxContentLength() + " bytes"), false, false);
        }
    }

    /** Builds an {@link AdminServer}. */
    public static final class Builder {

        private final AdminRoutes routes = new AdminRoutes();
        private HostPort listen = DEFAULT_LISTEN;
        private final Map<String, AdminRole> tokens = new LinkedHashMap<>();
        private Executor executor = Runnable::run;
        private BooleanSupplier healthy = () -> true;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxBody = DEFAULT_MAX_BODY;
        private ServerTls tls;
        private Consumer<ChannelPipeline> onTlsConnection = p -> { };

        private Builder(Metrics metrics) {
            Objects.requireNonNull(metrics, "metrics");
            routes.get("/metrics", r -> AdminResponse.text(metrics.contentType(), metrics.scrape()));
            // Probes (load balancers, containers) call it without a token; it reveals nothing.
            routes.publicGet("/healthz", r -> healthy.getAsBoolean()
                    ? AdminResponse.json(HttpResponseStatus.OK, "{\"status\":\"ok\"}")
                    : AdminResponse.json(HttpResponseStatus.SERVICE_UNAVAILABLE, "{\"status\":\"stopping\"}"));
        }

        public Builder listen(HostPort listen) {
            this.listen = Objects.requireNonNull(listen, "listen");
            return this;
        }

        /** A full-access bearer token; null or blank adds none. */
        public Builder token(String token) {
            return token(token, AdminRole.WRITE);
        }

        /**
         * Adds a bearer token with its role; null or blank adds none. Once any token is added,
         * every request needs one of them.
         */
        public Builder token(String token, AdminRole role) {
            Objects.requireNonNull(role, "role");
            if (token != null && !token.isBlank()) {
                tokens.merge(token.strip(), role, (a, b) -> a == AdminRole.WRITE || b == AdminRole.WRITE
                        ? AdminRole.WRITE : AdminRole.READ);
            }
            return this;
        }

        /**
         * How many connections may be open at once; one more is closed as soon as it is accepted.
         * Tokens are only checked on requests, so this is what bounds what unauthenticated
         * clients can hold.
         */
        public Builder maxConnections(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("admin max_connections must be at least 1, not " + value);
            }
            this.maxConnections = value;
            return this;
        }

        /** The longest request body accepted; a longer one gets 413 and the connection is closed. */
        public Builder maxBody(int bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("admin max_body must not be negative");
            }
            this.maxBody = bytes;
            return this;
        }

        /**
         * Serves HTTPS with these certificates (HTTP/1.1 only; offer {@code http/1.1} alone through
         * ALPN); the server closes them when it is closed. Null (the default) is plain HTTP.
         */
        public Builder tls(ServerTls value) {
            this.tls = value;
            return this;
        }

        /**
         * Called with each new TLS connection's pipeline once its TLS handlers are in, for example
         * to put an ACME TLS-ALPN-01 responder first. Does nothing by default.
         */
        public Builder onTlsConnection(Consumer<ChannelPipeline> value) {
            this.onTlsConnection = Objects.requireNonNull(value, "onTlsConnection");
            return this;
        }

        /** Where handlers run (they may block); by default on the event loop that read the request. */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** What {@code /healthz} reports: 200 while true, 503 while false. */
        public Builder health(BooleanSupplier healthy) {
            this.healthy = Objects.requireNonNull(healthy, "healthy");
            return this;
        }

        /** Adds a route. */
        public Builder route(HttpMethod method, String path, AdminHandler handler) {
            routes.add(method, path, handler);
            return this;
        }

        /** Routes every path under a prefix to one handler; see {@link AdminRoutes#prefix}. */
        public Builder prefix(String prefix, AdminHandler handler) {
            routes.prefix(prefix, handler);
            return this;
        }

        /** Adds several routes, for modules that bring a set of them. */
        public Builder routes(Consumer<AdminRoutes> adder) {
            adder.accept(routes);
            return this;
        }

        public AdminServer build() {
            return new AdminServer(this);
        }
    }
}
