package dev.portico.lb;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

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

    LbMetrics(String service, MeterRegistry registry) {
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
