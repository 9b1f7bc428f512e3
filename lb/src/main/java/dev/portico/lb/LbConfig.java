package dev.portico.lb;

import dev.portico.core.net.HostPort;
import dev.portico.core.tls.ClientHelloParser;
import dev.portico.core.tls.TlsSettings;
import dev.portico.upstream.AdminState;
import dev.portico.upstream.Backend;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.scheduler.Schedulers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Everything one L4 balancer service is configured with. Immutable; build it with
 * {@link #builder()} or read it from a config file with {@link LbServiceType}.
 *
 * <pre>{@code
 * LbConfig config = LbConfig.builder()
 *         .listen("127.0.0.1:8000")
 *         .backend("127.0.0.1:9001")
 *         .backend("127.0.0.1:9002", 2)
 *         .scheduler("leastconns")
 *         .health("http:/health")
 *         .build();
 * }</pre>
 *
 * @param listen         the addresses clients connect to, at least one
 * @param groups         named groups of backends, in file order, each with at least one backend
 * @param activeGroup    the group new connections go to
 * @param scheduler      the scheduler name, as accepted by {@link Schedulers#byName(String)}
 * @param health         the active health check run on every group
 * @param retries        further hosts tried after a failed connect, or {@link #RETRY_EVERY_HOST}
 * @param connectTimeout how long one connect attempt to a backend may take
 * @param idleTimeout    a connection with no traffic either way for this long is closed
 * @param maxConnections open client connections allowed at once; 0 derives it from the descriptor limit
 *                       (each counts 2 descriptors: the client's and the backend's)
 * @param maxPerBackend  open connections allowed per backend; 0 means no limit
 * @param proxyProtocol  the PROXY protocol header sent to backends
 * @param backlog        the listen backlog
 * @param protocol       TCP (connections) or UDP (sessions keyed by client address)
 * @param udp            UDP session settings; used only when {@code protocol} is UDP
 * @param acceptProxy    peers whose connections must start with a PROXY header (v1 or v2); TCP only
 * @param splice         whether TCP connections are relayed with splice(2) (epoll transport only)
 * @param sniRoutes      TLS server names (exact, or {@code *.} and one label) to the group their
 *                       connections go to, and {@value #SNI_DEFAULT} to the group for every other
 *                       hello (default the active group); empty when connections are not routed by SNI
 * @param sniFallback    what happens to a connection without a valid ClientHello, when routing by SNI
 * @param clientHelloTimeout how long a connection routed by SNI may take to send its ClientHello
 * @param tls            TLS offload: every TCP listener terminates TLS with these certificates and
 *                       relays plain bytes to the backends; null to relay connections as they come
 */
public record LbConfig(List<HostPort> listen, Map<String, List<BackendSpec>> groups, String activeGroup,
                       String scheduler, HealthCheckConfig health, int retries, Duration connectTimeout,
                       Duration idleTimeout, int maxConnections, int maxPerBackend, ProxyProtocol proxyProtocol,
                       int backlog, LbProtocol protocol, UdpSettings udp, TrustedProxies acceptProxy,
                       Splice splice, Map<String, String> sniRoutes, SniFallback sniFallback,
                       Duration clientHelloTimeout, TlsSettings tls) {

    /** {@link #retries()} value meaning: keep trying until every host of the group was tried. */
    public static final int RETRY_EVERY_HOST = -1;
    /** The group name used when backends are added without naming a group. */
    public static final String DEFAULT_GROUP = "main";
    /** The {@link #sniRoutes()} key naming the group of hellos that match no other route. */
    public static final String SNI_DEFAULT = "default";

    /**
     * One backend as configured.
     *
     * @param address where to connect
     * @param weight  relative weight for weighted schedulers
     */
    /**
     * One host of a group.
     *
     * @param state its admin state: {@link AdminState#ENABLED}, {@link AdminState#DISABLED} (no new
     *              connections) or {@link AdminState#DRAINING}; what {@code save} keeps of the
     *              enable, disable and drain actions
     */
    public record BackendSpec(HostPort address, int weight, AdminState state) {

        /** Validates the components. */
        public BackendSpec {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(state, "state");
            if (address.port() == 0) {
                throw new IllegalArgumentException("backend " + address + " needs a port");
            }
            if (weight < Backend.MIN_WEIGHT || weight > Backend.MAX_WEIGHT) {
                throw new IllegalArgumentException("weight " + weight + " of backend " + address
                        + " is out of range (" + Backend.MIN_WEIGHT + " to " + Backend.MAX_WEIGHT + ")");
            }
            if (state == AdminState.FORCED_UP) {
                throw new IllegalArgumentException("backend " + address + ": state must be enabled, disabled or draining");
            }
        }

        /** An enabled host. */
        public BackendSpec(HostPort address, int weight) {
            this(address, weight, AdminState.ENABLED);
        }

        /** The backend's name in pools, logs and the admin API: its address. */
        public String name() {
            return address.toString();
        }
    }

    /** Validates the whole config; the messages are fit for a user. */
    public LbConfig {
        listen = List.copyOf(listen);
        Map<String, List<BackendSpec>> copy = new LinkedHashMap<>();
        groups.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        groups = java.util.Collections.unmodifiableMap(copy);
        Objects.requireNonNull(activeGroup, "activeGroup");
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(proxyProtocol, "proxyProtocol");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(udp, "udp");
        Objects.requireNonNull(acceptProxy, "acceptProxy");
        Objects.requireNonNull(splice, "splice");
        Objects.requireNonNull(sniFallback, "sniFallback");
        Objects.requireNonNull(clientHelloTimeout, "clientHelloTimeout");
        Map<String, String> routes = new LinkedHashMap<>();
        sniRoutes.forEach((pattern, group) -> {
            String key = sniPattern(pattern);
            if (routes.put(key, Objects.requireNonNull(group, "group")) != null) {
                throw new IllegalArgumentException("sni_routes lists '" + key + "' twice");
            }
        });
        sniRoutes = java.util.Collections.unmodifiableMap(routes);
        if (protocol == LbProtocol.UDP && !sniRoutes.isEmpty()) {
            throw new IllegalArgumentException("sni_routes is for TCP services only");
        }
        if (protocol == LbProtocol.UDP && tls != null) {
            throw new IllegalArgumentException("tls (TLS offload) is for TCP services only");
        }
        if (tls != null && !sniRoutes.isEmpty()) {
            throw new IllegalArgumentException("sni_routes reads the ClientHello of connections relayed as they are;"
                    + " with tls the service terminates TLS itself: use one or the other");
        }
        if (protocol == LbProtocol.UDP && proxyProtocol != ProxyProtocol.OFF) {
            throw new IllegalArgumentException("proxy_protocol towards backends is for TCP services only");
        }
        if (protocol == LbProtocol.UDP && !acceptProxy.isEmpty()) {
            throw new IllegalArgumentException("accept_proxy is for TCP services only");
        }
        if (listen.isEmpty()) {
            throw new IllegalArgumentException("an lb service needs at least one listen address");
        }
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("an lb service needs at least one group of backends");
        }
        groups.forEach((name, members) -> {
            if (members.isEmpty()) {
                throw new IllegalArgumentException("group '" + name + "' has no backends");
            }
            long distinct = members.stream().map(BackendSpec::address).distinct().count();
            if (distinct != members.size()) {
                throw new IllegalArgumentException("group '" + name + "' lists a backend twice");
            }
        });
        if (!groups.containsKey(activeGroup)) {
            throw new IllegalArgumentException("active group '" + activeGroup + "' is not one of " + groups.keySet());
        }
        Schedulers.byName(scheduler);
        if (retries < RETRY_EVERY_HOST) {
            throw new IllegalArgumentException("retries must be 0 or more, not " + retries);
        }
        positive("connect timeout", connectTimeout);
        positive("idle timeout", idleTimeout);
        positive("client_hello timeout", clientHelloTimeout);
        for (Map.Entry<String, String> e : sniRoutes.entrySet()) {
            if (!groups.containsKey(e.getValue())) {
                throw new IllegalArgumentException("sni_routes sends '" + e.getKey() + "' to group '" + e.getValue()
                        + "', which is not one of " + groups.keySet());
            }
        }
        if (maxConnections < 0 || maxPerBackend < 0) {
            throw new IllegalArgumentException("connection limits must be 0 (no limit) or more");
        }
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog must be at least 1, not " + backlog);
        }
    }

    private static void positive(String what, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be more than zero, not " + d);
        }
    }

    /**
     * A {@link #sniRoutes()} key in its stored form: lower-cased, and checked to be
     * {@value #SNI_DEFAULT}, a DNS host name, or {@code *.} followed by one.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static String sniPattern(String pattern) {
        String p = pattern.strip().toLowerCase(Locale.ROOT);
        if (p.equals(SNI_DEFAULT)) {
            return p;
        }
        String name = p.startsWith("*.") ? p.substring(2) : p;
        if (!ClientHelloParser.validHostName(name)) {
            throw new IllegalArgumentException("'" + pattern + "' is not a server name: use a DNS name such as"
                    + " b.test, a wildcard of one label such as *.a.test, or 'default'");
        }
        return p;
    }

    /** Whether new connections are routed by the server name of their TLS ClientHello. */
    public boolean routesBySni() {
        return !sniRoutes.isEmpty();
    }

    /** The group of hellos that match no SNI route: the {@value #SNI_DEFAULT} route, else the active group. */
    public String sniDefaultGroup() {
        return sniRoutes.getOrDefault(SNI_DEFAULT, activeGroup);
    }

    /**
     * How many connect attempts one client connection may make in a group of {@code hosts}
     * backends: the first one plus the retries.
     */
    public int attempts(int hosts) {
        return retries == RETRY_EVERY_HOST ? Math.max(1, hosts) : 1 + retries;
    }

    /** A builder with the defaults: no listener, no group, roundrobin, TCP checks, 5 s connect and 5 min idle timeouts. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config, to change a few settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.listen.addAll(listen);
        groups.forEach((name, members) -> b.groups.put(name, new ArrayList<>(members)));
        b.activeGroup = activeGroup;
        b.scheduler = scheduler;
        b.health = health;
        b.retries = retries;
        b.connectTimeout = connectTimeout;
        b.idleTimeout = idleTimeout;
        b.maxConnections = maxConnections;
        b.maxPerBackend = maxPerBackend;
        b.proxyProtocol = proxyProtocol;
        b.backlog = backlog;
        b.protocol = protocol;
        b.udp = udp;
        b.acceptProxy = acceptProxy;
        b.splice = splice;
        b.sniRoutes.putAll(sniRoutes);
        b.sniFallback = sniFallback;
        b.clientHelloTimeout = clientHelloTimeout;
        b.tls = tls;
        return b;
    }

    /** Builds an {@link LbConfig}; {@link #build()} validates. */
    public static final class Builder {
        private final List<HostPort> listen = new ArrayList<>();
        private final Map<String, List<BackendSpec>> groups = new LinkedHashMap<>();
        private String activeGroup;
        private String scheduler = "roundrobin";
        private HealthCheckConfig health = HealthCheckConfig.parse("tcp");
        private int retries = RETRY_EVERY_HOST;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration idleTimeout = Duration.ofMinutes(5);
        private int maxConnections;
        private int maxPerBackend;
        private ProxyProtocol proxyProtocol = ProxyProtocol.OFF;
        private int backlog = 4096;
        private LbProtocol protocol = LbProtocol.TCP;
        private UdpSettings udp = UdpSettings.DEFAULTS;
        private TrustedProxies acceptProxy = TrustedProxies.NONE;
        private Splice splice = Splice.AUTO;
        private final Map<String, String> sniRoutes = new LinkedHashMap<>();
        private SniFallback sniFallback = SniFallback.DEFAULT;
        private Duration clientHelloTimeout = Duration.ofSeconds(5);
        private TlsSettings tls;

        private Builder() {
        }

        /** Adds a listen address. */
        public Builder listen(HostPort address) {
            listen.add(Objects.requireNonNull(address, "address"));
            return this;
        }

        /** Adds a listen address written as {@code host:port}. */
        public Builder listen(String address) {
            return listen(HostPort.parse(address));
        }

        /** Replaces the listen addresses. */
        public Builder listenOnly(List<HostPort> addresses) {
            listen.clear();
            addresses.forEach(this::listen);
            return this;
        }

        /** Adds a backend with weight 1 to the {@value #DEFAULT_GROUP} group. */
        public Builder backend(String address) {
            return backend(address, 1);
        }

        /** Adds a weighted backend to the {@value #DEFAULT_GROUP} group. */
        public Builder backend(String address, int weight) {
            return backend(DEFAULT_GROUP, new BackendSpec(HostPort.parse(address), weight));
        }

        /** Adds a backend to a group, creating the group if needed. */
        public Builder backend(String group, BackendSpec backend) {
            groups.computeIfAbsent(Objects.requireNonNull(group, "group"), k -> new ArrayList<>()).add(backend);
            return this;
        }

        /** Replaces every group. */
        public Builder groups(Map<String, List<BackendSpec>> value) {
            groups.clear();
            value.forEach((name, members) -> groups.put(name, new ArrayList<>(members)));
            return this;
        }

        /** Declares a group with its backends (weight 1 each), replacing one of that name. */
        public Builder group(String name, String... addresses) {
            List<BackendSpec> members = new ArrayList<>();
            for (String a : addresses) {
                members.add(new BackendSpec(HostPort.parse(a), 1));
            }
            groups.put(Objects.requireNonNull(name, "name"), members);
            return this;
        }

        /** The names of the groups declared so far. */
        java.util.Set<String> groupNames() {
            return java.util.Collections.unmodifiableSet(groups.keySet());
        }

        /** Sets the group new connections go to; default the first group. */
        public Builder activeGroup(String name) {
            this.activeGroup = name;
            return this;
        }

        /** Sets the scheduler by name; default {@code roundrobin}. */
        public Builder scheduler(String name) {
            this.scheduler = name;
            return this;
        }

        /** Sets the health check. */
        public Builder health(HealthCheckConfig value) {
            this.health = value;
            return this;
        }

        /** Sets the health check in its quick-start form: {@code none}, {@code tcp}, {@code http:/path}. */
        public Builder health(String value) {
            return health(HealthCheckConfig.parse(value));
        }

        /** Sets how many more hosts are tried after a failed connect; default every host. */
        public Builder retries(int value) {
            this.retries = value;
            return this;
        }

        /** Sets the connect timeout per attempt; default 5 s. */
        public Builder connectTimeout(Duration value) {
            this.connectTimeout = value;
            return this;
        }

        /** Sets the idle timeout; default 5 min. */
        public Builder idleTimeout(Duration value) {
            this.idleTimeout = value;
            return this;
        }

        /** Caps open client connections; 0 (default) derives the cap from the descriptor limit. */
        public Builder maxConnections(int value) {
            this.maxConnections = value;
            return this;
        }

        /** Caps open connections per backend; 0 (default) for no cap. */
        public Builder maxPerBackend(int value) {
            this.maxPerBackend = value;
            return this;
        }

        /** Sets the PROXY protocol header sent to backends; default off. */
        public Builder proxyProtocol(ProxyProtocol value) {
            this.proxyProtocol = value;
            return this;
        }

        /** Sets the listen backlog; default 4096. */
        public Builder backlog(int value) {
            this.backlog = value;
            return this;
        }

        /** Sets the protocol balanced; default TCP. */
        public Builder protocol(LbProtocol value) {
            this.protocol = value;
            return this;
        }

        /** Sets the UDP session settings; default 60 s idle expiry and {@value UdpSettings#DEFAULT_MAX_SESSIONS} sessions. */
        public Builder udp(UdpSettings value) {
            this.udp = value;
            return this;
        }

        /** Sets the peers (load balancers in front) whose connections start with a PROXY header; default none. */
        public Builder acceptProxy(TrustedProxies value) {
            this.acceptProxy = value;
            return this;
        }

        /** Sets the trusted PROXY header senders as CIDR ranges, such as {@code 10.0.0.0/8}. */
        public Builder acceptProxy(String... ranges) {
            return acceptProxy(TrustedProxies.parse(List.of(ranges)));
        }

        /** Sets whether TCP connections are relayed with splice(2); default {@code auto}. */
        public Builder splice(Splice value) {
            this.splice = value;
            return this;
        }

        /**
         * Routes TLS connections whose ClientHello names {@code pattern} to {@code group}:
         * {@code b.test} matches that name, {@code *.a.test} one label more ({@code x.a.test},
         * not {@code x.y.a.test}), and {@value #SNI_DEFAULT} every other hello. Exact names win
         * over wildcards. With at least one route the service reads each connection's ClientHello
         * (without consuming it) before it picks a backend.
         */
        public Builder sniRoute(String pattern, String group) {
            sniRoutes.put(Objects.requireNonNull(pattern, "pattern"), Objects.requireNonNull(group, "group"));
            return this;
        }

        /** Replaces every SNI route; see {@link #sniRoute}. */
        public Builder sniRoutes(Map<String, String> routes) {
            sniRoutes.clear();
            routes.forEach(this::sniRoute);
            return this;
        }

        /** Sets what happens to a connection without a valid ClientHello; default {@link SniFallback#DEFAULT}. */
        public Builder sniFallback(SniFallback value) {
            this.sniFallback = value;
            return this;
        }

        /** Sets how long a connection routed by SNI may take to send its ClientHello; default 5 s. */
        public Builder clientHelloTimeout(Duration value) {
            this.clientHelloTimeout = value;
            return this;
        }

        /**
         * Sets TLS offload: the TCP listeners terminate TLS with these settings and relay plain
         * bytes (with the PROXY header, if any) to the backends; null (the default) for none.
         */
        public Builder tls(TlsSettings value) {
            this.tls = value;
            return this;
        }

        /**
         * Builds the config.
         *
         * @throws IllegalArgumentException when the settings do not make a working service
         */
        public LbConfig build() {
            String active = activeGroup != null ? activeGroup
                    : groups.isEmpty() ? DEFAULT_GROUP : groups.keySet().iterator().next();
            return new LbConfig(listen, groups, active, scheduler, health, retries, connectTimeout, idleTimeout,
                    maxConnections, maxPerBackend, proxyProtocol, backlog, protocol, udp, acceptProxy, splice,
                    sniRoutes, sniFallback, clientHelloTimeout, tls);
        }
    }
}
