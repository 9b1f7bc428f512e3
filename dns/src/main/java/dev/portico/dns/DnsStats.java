package dev.portico.dns;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import org.xbill.DNS.Rcode;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one dns service has answered since it started, over every listener, UDP and TCP: queries,
 * responses by rcode and answers taken from the answer cache. Kept across reloads. Counting a
 * response costs one {@link LongAdder} increment (two on a cache hit); the counters are also
 * registered as meters ({@code portico_dns_queries}, {@code portico_dns_responses} by rcode,
 * {@code portico_dns_answer_cache_hits}).
 */
public final class DnsStats {

    /** Rcodes with a counter of their own (the 4-bit header values); others count as {@link #OTHER}. */
    private static final int[] NAMED = {Rcode.NOERROR, Rcode.FORMERR, Rcode.SERVFAIL, Rcode.NXDOMAIN, Rcode.NOTIMP,
        Rcode.REFUSED};
    /** The index of the counter of every rcode not in {@link #NAMED}. */
    private static final int OTHER = 16;
    /** The counter of each 4-bit rcode. */
    private static final int[] SLOT = new int[16];

    static {
        java.util.Arrays.fill(SLOT, OTHER);
        for (int rcode : NAMED) {
            SLOT[rcode] = rcode;
        }
    }

    private final LongAdder[] rcodes = new LongAdder[OTHER + 1];
    private final LongAdder unanswered = new LongAdder();
    private final LongAdder cacheHits = new LongAdder();

    /** Counters that are not registered anywhere (for tests and embedders without meters). */
    public DnsStats() {
        for (int i = 0; i < rcodes.length; i++) {
            rcodes[i] = new LongAdder();
        }
    }

    /** Counters also registered as meters of {@code service} in {@code registry}. */
    DnsStats(String service, MeterRegistry registry) {
        this();
        FunctionCounter.builder("portico_dns_queries", this, DnsStats::queries).tag("service", service)
                .description("Queries received, answered or not").register(registry);
        for (int rcode : NAMED) {
            rcodeMeter(service, registry, Rcode.string(rcode), rcodes[rcode]);
        }
        rcodeMeter(service, registry, "other", rcodes[OTHER]);
        FunctionCounter.builder("portico_dns_answer_cache_hits", cacheHits, LongAdder::sum).tag("service", service)
                .description("Answers sent from the cache of rendered static answers").register(registry);
    }

    private static void rcodeMeter(String service, MeterRegistry registry, String rcode, LongAdder counter) {
        FunctionCounter.builder("portico_dns_responses", counter, LongAdder::sum).tag("service", service)
                .tag("rcode", rcode).description("Responses sent, by rcode").register(registry);
    }

    /** Counts one query and its response (null when none is sent); the response's indexes are not moved. */
    void answered(ByteBuf response) {
        if (response == null || response.readableBytes() < QueryParser.HEADER) {
            unanswered.increment();
            return;
        }
        rcodes[SLOT[response.getUnsignedByte(response.readerIndex() + 3) & 0x0F]].increment();
    }

    /** Counts an answer sent from the answer cache. */
    void cacheHit() {
        cacheHits.increment();
    }

    /** Queries received, answered or not. */
    public long queries() {
        long n = unanswered.sum();
        for (LongAdder a : rcodes) {
            n += a.sum();
        }
        return n;
    }

    /** Queries dropped without a response (shorter than a header, or not answerable). */
    public long unanswered() {
        return unanswered.sum();
    }

    /**
     * Responses sent with {@code rcode}: NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP or REFUSED
     * (extended rcodes count under their low four bits); 0 for any other, counted in
     * {@link #otherResponses()}.
     */
    public long responses(int rcode) {
        return rcode >= 0 && rcode < SLOT.length && SLOT[rcode] == rcode ? rcodes[rcode].sum() : 0;
    }

    /** Responses with an rcode other than NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP and REFUSED. */
    public long otherResponses() {
        return rcodes[OTHER].sum();
    }

    /** Answers sent from the cache of rendered static answers. */
    public long cacheHits() {
        return cacheHits.sum();
    }
}
