package dev.portico.dns;

import dev.portico.upstream.health.HealthCheckConfig;

import java.nio.file.Path;
import java.util.List;

/**
 * The Portico side of {@code bench/dns.sh}: serves one zone with one failover record
 * ({@code fo.ORIGIN}, two always-up addresses) through {@link EmbeddedDns} until killed.
 *
 * <p>Arguments: {@code PORT ORIGIN ZONE_FILE [THREADS [TRANSPORT [RRL_RATELIMIT]]]}, TRANSPORT one of
 * auto, io_uring, epoll, nio; RRL_RATELIMIT the response rate limit (default 0: off, since dnsperf
 * sends everything from one address; 1000000 puts every answer through the buckets without
 * limiting any, to measure their cost).
 */
public final class BenchServer {

    private BenchServer() {
    }

    /**
     * Runs the server.
     *
     * @param args port, zone origin, zone file and optionally the number of worker loops (1), the
     *             transport and the rate limit
     * @throws Exception when the server cannot start
     */
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String origin = args[1];
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        DnsConfig config = DnsConfig.builder()
                .listen("127.0.0.1:" + port)
                .zone(origin, Path.of(args[2]))
                .dynamic(new DynamicRecordSpec("fo." + origin, 300, 10,
                        List.of(AddressSpec.parse("127.0.0.61"), AddressSpec.parse("127.0.0.62")),
                        HealthCheckConfig.parse("none"), 0, List.of()))
                .rrl(RrlConfig.builder().ratelimit(args.length > 5 ? Integer.parseInt(args[5]) : 0).build())
                .build();
        EmbeddedDns dns = EmbeddedDns.start(config, threads,
                args.length > 4 ? dev.portico.core.transport.Transport.Kind.parse(args[4]) : null);
        Runtime.getRuntime().addShutdownHook(new Thread(dns::close));
        System.out.println("portico dns ready on " + dns.address() + " using " + dns.transport());
        Thread.currentThread().join();
    }
}
