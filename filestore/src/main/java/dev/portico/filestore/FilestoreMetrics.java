package dev.portico.filestore;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.ArrayList;
import java.util.List;

/**
 * The file store's counters, tagged with the service name: reads, writes by result (all copies,
 * degraded but acknowledged, failed), and missing copies found by reads.
 */
final class FilestoreMetrics implements AutoCloseable {

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    final Counter reads;
    final Counter writesComplete;
    final Counter writesDegraded;
    final Counter writesFailed;
    final Counter missingCopies;

    FilestoreMetrics(String service, MeterRegistry registry) {
        this.registry = registry;
        reads = add(Counter.builder("portico_filestore_reads").tag("service", service)
                .description("GET and HEAD requests for files").register(registry));
        writesComplete = add(write(service, "complete"));
        writesDegraded = add(write(service, "degraded"));
        writesFailed = add(write(service, "failed"));
        missingCopies = add(Counter.builder("portico_filestore_missing_copies").tag("service", service)
                .description("reads that found a copy missing on a node while another node had it").register(registry));
    }

    private Counter write(String service, String result) {
        return Counter.builder("portico_filestore_writes").tag("service", service).tag("result", result)
                .description("PUT, DELETE and MKCOL requests by result: every copy, acknowledged with fewer, failed")
                .register(registry);
    }

    private Counter add(Counter c) {
        meters.add(c);
        return c;
    }

    @Override
    public void close() {
        meters.forEach(registry::remove);
    }
}
