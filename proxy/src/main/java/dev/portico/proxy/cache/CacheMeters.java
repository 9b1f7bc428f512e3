package dev.portico.proxy.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Locale;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The cache meters of one proxy service: {@code portico_proxy_cache_requests{result}} and, per
 * tier, {@code portico_proxy_cache_bytes} and {@code portico_proxy_cache_entries}. They outlive a
 * reload that replaces the cache: gauges read whichever cache is current.
 */
public final class CacheMeters {

    private final Counter[] results = new Counter[CacheResult.values().length];
    private final MeterRegistry registry;
    private final java.util.List<Gauge> gauges = new java.util.ArrayList<>();
    /** Held here because Micrometer keeps only a weak reference to a gauge's state object. */
    private final Supplier<HttpCache> current;

    public CacheMeters(String service, MeterRegistry registry, Supplier<HttpCache> current) {
        this.current = current;
        this.registry = registry;
        for (CacheResult r : CacheResult.values()) {
            results[r.ordinal()] = Counter.builder("portico_proxy_cache_requests").tag("service", service)
                    .tag("result", r.name().toLowerCase(Locale.ROOT))
                    .description("Requests of a caching proxy by what the cache did").register(registry);
        }
        gauge(registry, service, "portico_proxy_cache_bytes", "memory", "Bytes held by a cache tier",
                c -> c.stats().memoryBytes());
        gauge(registry, service, "portico_proxy_cache_bytes", "disk", "Bytes held by a cache tier",
                c -> c.stats().diskBytes());
        gauge(registry, service, "portico_proxy_cache_entries", "memory", "Entries held by a cache tier",
                c -> c.stats().memoryEntries());
        gauge(registry, service, "portico_proxy_cache_entries", "disk", "Entries held by a cache tier",
                c -> c.stats().diskEntries());
    }

    private void gauge(MeterRegistry registry, String service, String name, String tier, String help,
                       ToDoubleFunction<HttpCache> f) {
        gauges.add(Gauge.builder(name, this, m -> {
            HttpCache c = m.current.get();
            return c == null ? 0 : f.applyAsDouble(c);
        }).tag("service", service).tag("tier", tier).description(help).register(registry));
    }

    /** Removes the gauges (a service started later under the same name registers its own). */
    public void close() {
        gauges.forEach(registry::remove);
    }

    void count(CacheResult r) {
        results[r.ordinal()].increment();
    }
}
