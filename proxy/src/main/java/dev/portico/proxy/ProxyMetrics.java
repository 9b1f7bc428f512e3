package dev.portico.proxy;

import dev.portico.web.http.Exchange;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The meters of one proxy service, tagged with its name: requests by status class, request
 * duration, open client connections, upstream connections opened and reused, and retries by pool
 * and by the backend that failed.
 */
final class ProxyMetrics {

    private final Counter[] statusClasses = new Counter[6];
    private final Timer latency;
    private final String service;
    private final MeterRegistry registry;
    /** Meters whose value is read from this instance's objects; removed on {@link #close()}. */
    private final List<Meter> stateMeters;
    /** Held here because Micrometer keeps only a weak reference to a meter's state object. */
    private final Supplier<UpstreamConnections> upstreams;

    ProxyMetrics(String service, MeterRegistry m, AtomicInteger connections, Supplier<UpstreamConnections> upstreams) {
        this.upstreams = upstreams;
        this.service = service;
        this.registry = m;
        String[] classes = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};
        for (int i = 1; i < classes.length; i++) {
            statusClasses[i] = Counter.builder("portico_proxy_requests").tag("service", service).tag("status", classes[i])
                    .description("Proxied requests answered, by status class").register(m);
        }
        statusClasses[0] = statusClasses[1];
        latency = Timer.builder("portico_proxy_request_duration").tag("service", service)
                .description("Time from request headers to the end of the response").publishPercentileHistogram()
                .register(m);
        stateMeters = List.of(
                Gauge.builder("portico_proxy_connections_open", connections, AtomicInteger::get).tag("service", service)
                        .description("Open client connections").register(m),
                FunctionCounter.builder("portico_proxy_upstream_connections", upstreams, u -> u.get().opened())
                        .tag("service", service).description("Connections opened to backends").register(m),
                FunctionCounter.builder("portico_proxy_upstream_reused", upstreams, u -> u.get().reused())
                        .tag("service", service).description("Requests sent on a pooled keep-alive connection")
                        .register(m));
    }

    /**
     * Removes the meters that read this instance's state, so that a service started again under
     * the same name (a restart or a reload on the same registry) registers its own instead of
     * finding these, which would go on reading the stopped instance. Counters stay: they carry on.
     */
    void close() {
        stateMeters.forEach(registry::remove);
    }

    /** Counts a request sent again after it failed on {@code backend} of {@code pool} (off the hot path). */
    void retried(String pool, String backend) {
        Counter.builder("portico_proxy_retries").tag("service", service).tag("pool", pool).tag("backend", backend)
                .description("Requests sent again after failing on this backend").register(registry).increment();
    }

    /** Counts a retry the pool's retry budget refused. */
    void retryRefused(String pool) {
        Counter.builder("portico_proxy_retries_refused").tag("service", service).tag("pool", pool)
                .description("Retries not made because the pool's retry budget was spent").register(registry).increment();
    }

    /** Counts a request that failed although it was retried. */
    void retriesExhausted(String pool) {
        Counter.builder("portico_proxy_retries_exhausted").tag("service", service).tag("pool", pool)
                .description("Requests that failed after every retry").register(registry).increment();
    }

    /** Counts a finished exchange. */
    void completed(Exchange ex) {
        statusClasses[Math.min(Math.max(ex.status() / 100, 1), 5)].increment();
        latency.record(System.nanoTime() - ex.startNanos(), TimeUnit.NANOSECONDS);
    }
}
