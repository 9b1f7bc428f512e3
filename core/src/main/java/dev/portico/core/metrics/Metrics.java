package dev.portico.core.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The process's meter registry, rendered in the Prometheus text format for {@code /metrics}.
 * One instance per process, created by the launcher and passed to every service.
 */
public final class Metrics {

    private final PrometheusMeterRegistry registry;
    private final AtomicBoolean jvmBound = new AtomicBoolean();

    /** A registry with the JVM's meters (memory, threads, CPU, uptime). */
    public Metrics() {
        this(true);
    }

    private Metrics(boolean jvm) {
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        if (jvm) {
            bindJvm();
        }
    }

    /**
     * A registry without the JVM's meters yet: the daemon binds them with {@link #bindJvm()} once
     * its listeners accept, because binding them (management beans, the first gauges) is a
     * noticeable part of a start.
     */
    public static Metrics withoutJvm() {
        return new Metrics(false);
    }

    /** Binds the JVM's meters (memory, threads, CPU, uptime); once, whichever thread calls it. */
    public void bindJvm() {
        if (!jvmBound.compareAndSet(false, true)) {
            return;
        }
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    /** The content type of {@link #scrape()}. */
    public String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }
}
