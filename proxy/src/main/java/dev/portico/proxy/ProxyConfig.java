package dev.portico.proxy;

import dev.portico.acme.AcmeSettings;
import dev.portico.core.net.Cidr;
import dev.portico.core.net.HostPort;
import dev.portico.core.tls.TlsSettings;
import dev.portico.core.transport.ListenSpec;
import dev.portico.proxy.cache.CacheConfig;
import dev.portico.web.h2.Http2Options;
import dev.portico.web.http.HttpOptions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything a {@code type: proxy} section can set.
 *
 * @param listeners         addresses to listen on, each plain or TLS
 * @param pools             pools by lower-case Host; {@code *} is the default
 * @param trustedProxies    peers whose X-Forwarded-For is believed: its rightmost untrusted address is the client (iphash)
 * @param connectTimeout    time to connect to a backend (504 after it)
 * @param firstByteTimeout  time from the request sent to the first response byte (504 after it)
 * @param idleTimeout       time without traffic on an upstream exchange or a client connection
 * @param maxRequestHeaders largest request header block in bytes
 * @param maxResponseHeaders largest response header block in bytes (502 above it)
 * @param maxBodySize       largest request body
 * @param maxConnections    open client connections; above it new ones get 503 and a close. 0: derived from
 *                          the descriptor limit (each client connection counts 2 descriptors, with its upstream one)
 * @param keepAliveMax      idle upstream connections kept per backend per event loop (0: none)
 * @param keepAliveIdle     how long an idle upstream connection is kept
 * @param retries           further backends tried for one request after a failure listed in {@code retryOn}
 * @param backlog           listen backlog
 * @param transparent       transparent mode for Hosts without a pool, or null when off
 * @param cache             the response cache, or null for none
 * @param retryOn           the failures after which a request goes to another backend
 * @param retryBuffer       largest request body kept to be sent again on a retry (a larger one is not retried
 *                          once its first bytes went to a backend)
 * @param retryBudget       retries a pool may add, in percent of its requests over the last 10 s (at least
 *                          {@value RetryBudget#MIN_PER_SECOND} per second)
 * @param sendTimeout       longest time answers may wait for a client's socket without any of their bytes
 *                          leaving; a client that stops reading is closed after it
 * @param http2             HTTP/2 from clients: h2c, streams, header list size and the other limits
 * @param tls               certificates and TLS options for the TLS listeners, or null without any
 * @param clientCertHeader  the request field that carries a verified client certificate's subject to
 *                          the backend (and is removed from every client request), or null for none
 * @param acme              certificates obtained through ACME for the TLS listeners ({@code tls.acme}), or null
 */
public record ProxyConfig(List<ListenSpec> listeners, Map<String, PoolSpec> pools, List<Cidr> trustedProxies,
                          Duration connectTimeout, Duration firstByteTimeout, Duration idleTimeout,
                          int maxRequestHeaders, int maxResponseHeaders, long maxBodySize, int maxConnections,
                          int keepAliveMax, Duration keepAliveIdle, int retries, int backlog,
                          TransparentSpec transparent, CacheConfig cache, Set<RetryCondition> retryOn,
                          long retryBuffer, int retryBudget, Duration sendTimeout, Http2Options http2,
                          TlsSettings tls, String clientCertHeader, AcmeSettings acme) {

    /**
     * Idle upstream connections kept per backend per event loop unless configured. High on
     * purpose (like HAProxy, which keeps every idle server connection): a response that finds the
     * idle pool full closes its connection, and the next request pays a connect and, on busy
     * hosts, a search for a free ephemeral port among TIME_WAIT sockets. The idle timeout bounds
     * them instead.
     */
    public static final int DEFAULT_KEEPALIVE_MAX = 1024;

    /** The key of the default pool. */
    public static final String DEFAULT_POOL = "*";

    /** Request body bytes kept for a retry unless configured. */
    public static final long DEFAULT_RETRY_BUFFER = 64 << 10;

    /** Retries per pool in percent of its requests unless configured (as Envoy's retry budget). */
    public static final int DEFAULT_RETRY_BUDGET = 20;

    public ProxyConfig {
        listeners = List.copyOf(listeners);
        retryOn = Set.copyOf(retryOn);
        pools = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(pools));
        trustedProxies = List.copyOf(trustedProxies);
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(firstByteTimeout, "firstByteTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(keepAliveIdle, "keepAliveIdle");
        Objects.requireNonNull(sendTimeout, "sendTimeout");
        Objects.requireNonNull(http2, "http2");
        if (sendTimeout.isNegative() || sendTimeout.isZero()) {
            throw new IllegalArgumentException("the send timeout must be more than 0s");
        }
        if (listeners.isEmpty()) {
            throw new IllegalArgumentException("listen needs at least one address");
        }
        for (ListenSpec l : listeners) {
            if (l.tls() && tls == null) {
                throw new IllegalArgumentException("listener " + l.address() + " is TLS but there is no 'tls' section");
            }
        }
        if (clientCertHeader != null && !isToken(clientCertHeader)) {
            throw new IllegalArgumentException("client_cert_header '" + clientCertHeader + "' is not a header name");
        }
        if (clientCertHeader != null && (tls == null || tls.clientCa() == null)) {
            throw new IllegalArgumentException("client_cert_header needs 'client_ca' (client certificates to verify)");
        }
        if (acme != null && tls == null) {
            throw new IllegalArgumentException("acme needs a 'tls' section");
        }
        if (pools.isEmpty() && transparent == null) {
            throw new IllegalArgumentException("pools needs at least one pool (or transparent mode)");
        }
        if (retries < 0 || keepAliveMax < 0 || maxBodySize < 0 || maxConnections < 0 || maxRequestHeaders < 256 || maxResponseHeaders < 256) {
            throw new IllegalArgumentException("retries, keep-alive and limits must not be negative or tiny");
        }
        if (retryBuffer < 0) {
            throw new IllegalArgumentException("retry_buffer must not be negative");
        }
        if (retryBudget < 0 || retryBudget > 100) {
            throw new IllegalArgumentException("retry_budget must be a percentage from 0 to 100");
        }
    }

    /** The listen addresses, plain and TLS, in config order. */
    public List<HostPort> listen() {
        return listeners.stream().map(ListenSpec::address).toList();
    }

    /** Whether {@code name} is an HTTP field name (an RFC 9110 token). */
    static boolean isToken(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link ProxyConfig}; every setting has a default except listen and pools. */
    public static final class Builder {
        private final List<ListenSpec> listen = new ArrayList<>();
        private final Map<String, PoolSpec> pools = new LinkedHashMap<>();
        private final List<Cidr> trusted = new ArrayList<>();
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration firstByteTimeout = Duration.ofSeconds(60);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private Duration sendTimeout = HttpOptions.DEFAULT_SEND_TIMEOUT;
        private Http2Options http2 = Http2Options.defaults();
        private int maxRequestHeaders = 16384;
        private int maxResponseHeaders = 16384;
        private long maxBodySize = 100L << 20;
        private int maxConnections;
        private int keepAliveMax = DEFAULT_KEEPALIVE_MAX;
        private Duration keepAliveIdle = Duration.ofSeconds(30);
        private int retries = 2;
        private int backlog = 4096;
        private TransparentSpec transparent;
        private CacheConfig cache;
        private final Set<RetryCondition> retryOn = EnumSet.copyOf(RetryCondition.DEFAULTS);
        private long retryBuffer = DEFAULT_RETRY_BUFFER;
        private int retryBudget = DEFAULT_RETRY_BUDGET;
        private TlsSettings tls;
        private String clientCertHeader;
        private AcmeSettings acme;

        /** A plain listener. */
        public Builder listen(HostPort value) {
            listen.add(ListenSpec.plain(value));
            return this;
        }

        /** A listener, plain or TLS. */
        public Builder listen(ListenSpec value) {
            listen.add(value);
            return this;
        }

        /** A TLS listener with HTTP/2 offered through ALPN (needs {@link #tls(TlsSettings)}). */
        public Builder listenTls(HostPort value) {
            return listen(ListenSpec.tls(value));
        }

        /** Certificates and TLS options for the TLS listeners. */
        public Builder tls(TlsSettings value) {
            tls = value;
            return this;
        }

        /**
         * The request field that carries a verified client certificate's subject (RFC 2253) to the
         * backend; the proxy removes it from every client request. Needs {@code tls.client_ca}.
         */
        public Builder clientCertHeader(String value) {
            clientCertHeader = value;
            return this;
        }

        /** Certificates obtained and renewed through ACME for the TLS listeners (needs {@link #tls(TlsSettings)}). */
        public Builder acme(AcmeSettings settings) {
            acme = settings;
            return this;
        }

        /** Sets the pool for a Host ({@code *} for the default). */
        public Builder pool(String host, PoolSpec spec) {
            pools.put(host.toLowerCase(Locale.ROOT), spec);
            return this;
        }

        public Builder trustedProxy(Cidr value) {
            trusted.add(value);
            return this;
        }

        public Builder connectTimeout(Duration value) {
            connectTimeout = value;
            return this;
        }

        public Builder firstByteTimeout(Duration value) {
            firstByteTimeout = value;
            return this;
        }

        public Builder idleTimeout(Duration value) {
            idleTimeout = value;
            return this;
        }

        /** How long answers may wait for a client that reads none of their bytes (60 s by default). */
        public Builder sendTimeout(Duration value) {
            sendTimeout = value;
            return this;
        }

        /** HTTP/2 settings and limits for clients (h2c on plain listeners, h2 by ALPN on TLS ones). */
        public Builder http2(Http2Options value) {
            http2 = value;
            return this;
        }

        public Builder maxRequestHeaders(int value) {
            maxRequestHeaders = value;
            return this;
        }

        public Builder maxResponseHeaders(int value) {
            maxResponseHeaders = value;
            return this;
        }

        public Builder maxBodySize(long value) {
            maxBodySize = value;
            return this;
        }

        /** Open client connections allowed; 0 (the default) derives it from the descriptor limit. */
        public Builder maxConnections(int value) {
            maxConnections = value;
            return this;
        }

        public Builder keepAliveMax(int value) {
            keepAliveMax = value;
            return this;
        }

        public Builder keepAliveIdle(Duration value) {
            keepAliveIdle = value;
            return this;
        }

        public Builder retries(int value) {
            retries = value;
            return this;
        }

        /** Replaces the failures after which a request is retried (default connect-failure and reset). */
        public Builder retryOn(RetryCondition... values) {
            retryOn.clear();
            retryOn.addAll(List.of(values));
            return this;
        }

        /** Largest request body kept to be replayed on a retry (default 64 KiB). */
        public Builder retryBuffer(long value) {
            retryBuffer = value;
            return this;
        }

        /** Retries a pool may add in percent of its recent requests (default 20). */
        public Builder retryBudget(int value) {
            retryBudget = value;
            return this;
        }

        public Builder backlog(int value) {
            backlog = value;
            return this;
        }

        /** Turns transparent mode on for Hosts without a pool; null turns it off. */
        public Builder transparent(TransparentSpec value) {
            transparent = value;
            return this;
        }

        /** Turns the response cache on; null turns it off. */
        public Builder cache(CacheConfig value) {
            cache = value;
            return this;
        }

        public ProxyConfig build() {
            return new ProxyConfig(listen, pools, trusted, connectTimeout, firstByteTimeout, idleTimeout,
                    maxRequestHeaders, maxResponseHeaders, maxBodySize, maxConnections, keepAliveMax, keepAliveIdle,
                    retries, backlog, transparent, cache, retryOn, retryBuffer, retryBudget, sendTimeout, http2,
                    tls, clientCertHeader, acme);
        }
    }
}
