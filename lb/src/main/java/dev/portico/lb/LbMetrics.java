package dev.portico.lb;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of one lb service, tagged with its name. Counters are read back by tests and the
 * admin API through the accessors.
 */
public final class LbMetrics {

    private final AtomicInteger open = new AtomicInteger();
    private final Counter accepted;
    private final Counter noBackend;
    private final Counter failovers;
    private final Counter rejected;
    private final Counter backendErrors;
    private final AtomicInteger udpOpen = new AtomicInteger();
    private final Counter udpSessions;
    private final Counter udpDropped;
    private final Counter proxyHeaderRejected;
    private final Counter spliced;
    private final String service;
    private final MeterRegistry registry;
    /** SNI counters by route and group ({@code portico_lb_sni_routed}) and by reason and action ({@code portico_lb_sni_fallback}). */
    private final Map<String, Counter> sni = new ConcurrentHashMap<>();

    LbMetrics(String service, MeterRegistry registry) {
        this.service = service;
        this.registry = registry;
        accepted = Counter.builder("portico_lb_connections").tag("service", service)
                .description("Client connections accepted").register(registry);
        noBackend = Counter.builder("portico_lb_no_backend").tag("service", service)
                .description("Client connections closed because no backend could be reached").register(registry);
        failovers = Counter.builder("portico_lb_failovers").tag("service", service)
                .description("Connect attempts that failed and were retried on another backend").register(registry);
        rejected = Counter.builder("portico_lb_rejected").tag("service", service)
                .description("Client connections refused by the service connection limit").register(registry);
        backendErrors = Counter.builder("portico_lb_backend_errors").tag("service", service)
                .description("Established backend connections that ended with an error (reset, timeout)")
                .register(registry);
        Gauge.builder("portico_lb_connections_open", open, AtomicInteger::get).tag("service", service)
                .description("Open client connections").register(registry);
        udpSessions = Counter.builder("portico_lb_udp_sessions").tag("service", service)
                .description("UDP sessions opened").register(registry);
        udpDropped = Counter.builder("portico_lb_udp_dropped").tag("service", service)
                .description("Datagrams dropped: session cap reached, no backend, or a socket not writable")
                .register(registry);
        Gauge.builder("portico_lb_udp_sessions_open", udpOpen, AtomicInteger::get).tag("service", service)
                .description("Open UDP sessions").register(registry);
        spliced = Counter.builder("portico_lb_spliced").tag("service", service)
                .description("Connection directions relayed with splice(2) instead of copies (two per fully spliced connection)")
                .register(registry);
        proxyHeaderRejected = Counter.builder("portico_lb_proxy_header_rejected").tag("service", service)
                .description("Connections from trusted proxies closed for a malformed or missing PROXY header")
                .register(registry);
    }

    /**
     * Counts a new UDP session unless {@code cap} are open already, in which case it counts a
     * rejection instead.
     *
     * @return false when the session must not be opened
     */
    boolean udpSessionOpened(int cap) {
        if (udpOpen.incrementAndGet() > cap) {
            udpOpen.decrementAndGet();
            rejected.increment();
            return false;
        }
        udpSessions.increment();
        return true;
    }

    void udpSessionClosed() {
        udpOpen.decrementAndGet();
    }

    void udpDropped() {
        udpDropped.increment();
    }

    void spliced() {
        spliced.increment();
    }

    /** Connection directions switched to splice(2) since start. */
    public long splicedTotal() {
        return (long) spliced.count();
    }

    void proxyHeaderRejected() {
        proxyHeaderRejected.increment();
    }

    /**
     * The counter of connections whose ClientHello an SNI route sent to a group; made when the
     * routes are set up, so counting costs no lookup.
     *
     * @param route the route's pattern ({@code b.test}, {@code *.a.test}) or {@code default}
     */
    Counter sniRouted(String route, String group) {
        return sni.computeIfAbsent("routed\0" + route + "\0" + group, k -> Counter.builder("portico_lb_sni_routed")
                .tag("service", service).tag("route", route).tag("group", group)
                .description("TLS connections routed by the server name of their ClientHello").register(registry));
    }

    /**
     * The counter of connections without a valid ClientHello, for SNI routing.
     *
     * @param reason {@code invalid} (not TLS, malformed, or closed before the hello was complete) or {@code timeout}
     * @param action {@code default} (relayed to the default group) or {@code close}
     */
    Counter sniFallback(String reason, String action) {
        return sni.computeIfAbsent("fallback\0" + reason + "\0" + action, k -> Counter.builder("portico_lb_sni_fallback")
                .tag("service", service).tag("reason", reason).tag("action", action)
                .description("Connections without a valid TLS ClientHello in time, sent to the default group or closed")
                .register(registry));
    }

    /** Connections an SNI route (its pattern, or {@code default}) sent to a group, over every group. */
    public long sniRoutedTotal(String route) {
        String prefix = "routed\0" + route + "\0";
        return sni.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .mapToLong(e -> (long) e.getValue().count()).sum();
    }

    /** Connections without a valid ClientHello for {@code reason} ({@code invalid}, {@code timeout}), either action. */
    public long sniFallbackTotal(String reason) {
        String prefix = "fallback\0" + reason + "\0";
        return sni.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .mapToLong(e -> (long) e.getValue().count()).sum();
    }

    /** Open UDP sessions. */
    public int udpSessionsOpen() {
        return udpOpen.get();
    }

    /** UDP sessions opened since start. */
    public long udpSessionTotal() {
        return (long) udpSessions.count();
    }

    /** Datagrams dropped since start. */
    public long udpDroppedTotal() {
        return (long) udpDropped.count();
    }

    /** Connections closed for a bad or missing PROXY header. */
    public long proxyHeaderRejectedTotal() {
        return (long) proxyHeaderRejected.count();
    }

    int opened() {
        accepted.increment();
        return open.incrementAndGet();
    }

    void closed() {
        open.decrementAndGet();
    }

    void noBackend() {
        noBackend.increment();
    }

    void failover() {
        failovers.increment();
    }

    void rejected() {
        rejected.increment();
    }

    void backendError() {
        backendErrors.increment();
    }

    /** Open client connections. */
    public int openConnections() {
        return open.get();
    }

    /** Client connections accepted since start. */
    public long acceptedTotal() {
        return (long) accepted.count();
    }

    /** Client connections closed because no backend was left ({@code portico_lb_no_backend}). */
    public long noBackendTotal() {
        return (long) noBackend.count();
    }

    /** Failed connect attempts that were retried elsewhere. */
    public long failoverTotal() {
        return (long) failovers.count();
    }

    /** Client connections refused by the connection limit. */
    public long rejectedTotal() {
        return (long) rejected.count();
    }

    /** Backend connections that ended with an error after being established. */
    public long backendErrorTotal() {
        return (long) backendErrors.count();
    }
}
