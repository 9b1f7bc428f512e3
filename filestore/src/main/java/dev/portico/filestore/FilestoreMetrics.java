package dev.portico.filestore;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * The file store's counters, tagged with the service name: reads, writes by result (all copies,
 * degraded but acknowledged, failed), missing copies found by reads, and the handoff journal: its
 * length and the replays done and failed.
 */
final class FilestoreMetrics implements AutoCloseable {

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    final Counter reads;
    final Counter writesComplete;
    final Counter writesDegraded;
    final Counter writesFailed;
    final Counter missingCopies;
    final Counter replaysDone;
    final Counter replaysFailed;
    private final String service;

    FilestoreMetrics(String service, MeterRegistry registry) {
        this.registry = registry;
        this.service = service;
        reads = add(Counter.builder("portico_filestore_reads").tag("service", service)
                .description("GET and HEAD requests for files").register(registry));
        writesComplete = add(write(service, "complete"));
        writesDegraded = add(write(service, "degraded"));
        writesFailed = add(write(service, "failed"));
        missingCopies = add(Counter.builder("portico_filestore_missing_copies").tag("service", service)
                .description("reads that found a copy missing on a node while another node had it").register(registry));
        replaysDone = add(replay(service, "done"));
        replaysFailed = add(replay(service, "failed"));
    }

    private Counter replay(String service, String result) {
        return Counter.builder("portico_filestore_handoff_replays").tag("service", service).tag("result", result)
                .description("handoff journal records replayed to their node, by result").register(registry);
    }

    /** The handoff journal's live records (missed writes and tombstones), read when scraped. */
    void journalLength(IntSupplier length) {
        meters.add(Gauge.builder("portico_filestore_handoff_journal", length::getAsInt).tag("service", service)
                .description("live records in the handoff journal: writes a node missed, and tombstones")
                .register(registry));
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
