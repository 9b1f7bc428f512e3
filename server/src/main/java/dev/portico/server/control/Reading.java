package dev.portico.server.control;

import dev.portico.core.lifecycle.Service;
import dev.portico.dns.DnsService;
import dev.portico.dns.DnsStats;
import dev.portico.filestore.FilestoreService;
import dev.portico.filestore.FilestoreStatus;
import dev.portico.lb.LbService;
import dev.portico.proxy.ProxyService;
import dev.portico.upstream.Backend;
import dev.portico.upstream.BackendStats;
import dev.portico.upstream.Pool;
import dev.portico.web.WebServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import org.xbill.DNS.Rcode;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The cumulative counters of one service at one moment, read from what the service already
 * keeps: its meters (web: {@code portico_http_*} and {@code portico_web_cache_*}; proxy:
 * {@code portico_proxy_*}), its {@link DnsStats} (dns), its {@link FilestoreStatus} (filestore:
 * reads, and writes by result) or its hosts' {@link BackendStats}. Two
 * readings give the rates between them.
 *
 * @param unit        what {@code total} counts: requests, queries or connections
 * @param total       requests, queries or connections so far
 * @param errors      those that failed
 * @param counts      totals by kind, in display order
 * @param bytes       bytes counted so far, or -1 when the service counts none
 * @param cacheHits   answers from the memory cache, or -1 when the service has none
 * @param cacheLookups lookups of the memory cache
 * @param latency     the response time histogram (cumulative bucket counts), or null
 */
record Reading(String unit, long total, long errors, Map<String, Long> counts, long bytes, long cacheHits,
               long cacheLookups, HistogramSnapshot latency) {

    private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    private static final int[] RCODES = {Rcode.NOERROR, Rcode.NXDOMAIN, Rcode.REFUSED, Rcode.SERVFAIL, Rcode.FORMERR,
        Rcode.NOTIMP};

    /** The service's counters now, or null for a type that keeps none. */
    static Reading of(Service s, MeterRegistry meters) {
        if (s instanceof WebServer) {
            return http(s.name(), meters, "portico_http_requests", "portico_http_request_duration",
                    sum(meters.find("portico_http_response_bytes").tag("service", s.name()).summaries()),
                    counter(meters, "portico_web_cache_hits", s.name()),
                    counter(meters, "portico_web_cache_misses", s.name()));
        }
        if (s instanceof ProxyService proxy) {
            return http(s.name(), meters, "portico_proxy_requests", "portico_proxy_request_duration",
                    hostBytes(proxy.pools().values()), -1, 0);
        }
        if (s instanceof DnsService dns) {
            return dns(dns.stats());
        }
        if (s instanceof FilestoreService fs) {
            FilestoreStatus st = fs.status();
            Map<String, Long> counts = new LinkedHashMap<>();
            counts.put("reads", st.reads());
            counts.put("writes", st.writesComplete());
            counts.put("degraded", st.writesDegraded());
            counts.put("failed", st.writesFailed());
            long bytes = 0;
            for (FilestoreStatus.Node n : st.nodes()) {
                bytes += n.backend().stats().bytesIn() + n.backend().stats().bytesOut();
            }
            return new Reading("requests", st.reads() + st.writes(), st.writesFailed(), counts, bytes, -1, 0, null);
        }
        if (s instanceof LbService lb) {
            long total = 0;
            long failed = 0;
            long bytes = 0;
            for (var g : lb.groups().values()) {
                for (Backend b : g.pool().members()) {
                    BackendStats st = b.stats();
                    total += st.total();
                    failed += st.failed();
                    bytes += st.bytesIn() + st.bytesOut();
                }
            }
            return new Reading("connections", total, failed, Map.of(), bytes, -1, 0, null);
        }
        return null;
    }

    private static Reading http(String service, MeterRegistry meters, String requests, String duration, long bytes,
                                long hits, long misses) {
        Map<String, Long> counts = new LinkedHashMap<>();
        long total = 0;
        for (String c : CLASSES) {
            Counter counter = meters.find(requests).tag("service", service).tag("status", c).counter();
            long n = counter == null ? 0 : (long) counter.count();
            total += n;
            if (n > 0 || !c.equals("1xx")) {
                counts.put(c, n);
            }
        }
        Timer timer = meters.find(duration).tag("service", service).timer();
        HistogramSnapshot latency = timer == null ? null : timer.takeSnapshot();
        return new Reading("requests", total, counts.getOrDefault("5xx", 0L), counts, bytes, hits,
                hits < 0 ? 0 : hits + misses, latency);
    }

    private static Reading dns(DnsStats stats) {
        Map<String, Long> counts = new LinkedHashMap<>();
        long errors = stats.otherResponses();
        for (int rcode : RCODES) {
            long n = stats.responses(rcode);
            counts.put(Rcode.string(rcode), n);
            if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
                errors += n;
            }
        }
        counts.put("other", stats.otherResponses());
        long queries = stats.queries();
        return new Reading("queries", queries, errors, counts, -1, stats.cacheHits(), queries, null);
    }

    private static long counter(MeterRegistry meters, String name, String service) {
        Counter c = meters.find(name).tag("service", service).counter();
        return c == null ? 0 : (long) c.count();
    }

    private static long sum(Collection<DistributionSummary> summaries) {
        double total = 0;
        for (DistributionSummary s : summaries) {
            total += s.totalAmount();
        }
        return (long) total;
    }

    private static long hostBytes(Collection<Pool> pools) {
        long bytes = 0;
        for (Pool p : pools) {
            for (Backend b : p.members()) {
                bytes += b.stats().bytesIn() + b.stats().bytesOut();
            }
        }
        return bytes;
    }

    /**
     * The 99th percentile in milliseconds of the responses between {@code before} and this
     * reading: the upper edge of the histogram bucket where it falls. Null when none was answered
     * or there is no histogram.
     */
    Double p99Since(Reading before) {
        if (latency == null || before == null || before.latency == null) {
            return null;
        }
        CountAtBucket[] now = latency.histogramCounts();
        CountAtBucket[] then = before.latency.histogramCounts();
        long count = latency.count() - before.latency.count();
        if (now.length == 0 || now.length != then.length || count <= 0) {
            return null;
        }
        double wanted = Math.ceil(count * 0.99);
        for (int i = 0; i < now.length; i++) {
            if (now[i].count() - then[i].count() >= wanted) {
                return now[i].bucket(TimeUnit.MILLISECONDS);
            }
        }
        return latency.max(TimeUnit.MILLISECONDS);
    }
}
