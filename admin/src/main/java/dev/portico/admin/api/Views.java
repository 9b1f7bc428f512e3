package dev.portico.admin.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the admin API shows, as plain records; written as JSON with snake_case names.
 */
public final class Views {

    private Views() {
    }

    /**
     * One running service.
     *
     * @param name        the name under {@code services:}
     * @param type        the service type, such as {@code lb} or {@code web}
     * @param listeners   the addresses bound, {@code host:port}
     * @param endpoints   human-readable endpoints, as in the start-up banner
     * @param scheduler   the scheduler (balancing services only, else null)
     * @param activeGroup the group new connections go to (balancing services only, else null)
     * @param connections open client connections (balancing services only, else null)
     * @param groups      the groups of hosts, empty for services without hosts
     * @param stats       what the service has handled and how fast, or null when not measured
     */
    public record Service(String name, String type, List<String> listeners, List<String> endpoints, String scheduler,
                          String activeGroup, Long connections, List<Group> groups, Stats stats) {
        public Service {
            listeners = List.copyOf(listeners);
            endpoints = List.copyOf(endpoints);
            groups = List.copyOf(groups);
        }

        /** A service without stats. */
        public Service(String name, String type, List<String> listeners, List<String> endpoints, String scheduler,
                       String activeGroup, Long connections, List<Group> groups) {
            this(name, type, listeners, endpoints, scheduler, activeGroup, connections, groups, null);
        }
    }

    /**
     * What a service has handled since it started, and its rates over the last sampling interval.
     *
     * @param unit         what is counted: {@code requests} (web, proxy), {@code queries} (dns) or
     *                     {@code connections} (lb)
     * @param total        requests, queries or connections since the service started
     * @param errors       those that failed: 5xx responses (web, proxy), responses other than
     *                     NOERROR and NXDOMAIN (dns), failed connects to hosts (lb)
     * @param rate         per second over the last sampling interval (0 before the first one ends)
     * @param errorRate    errors per second over the same interval
     * @param counts       totals by kind, in a fixed order: status classes ({@code 2xx}…) for web and
     *                     proxy services, rcodes ({@code NOERROR}, {@code NXDOMAIN}…) for dns
     *                     services; empty for lb services
     * @param bytes        bytes sent to clients (web) or exchanged with the hosts (proxy, lb:
     *                     received plus sent), or null when not counted
     * @param bytesRate    bytes per second over the last sampling interval, or null when not counted
     * @param p99Ms        the 99th percentile of response times over the last sampling interval, in
     *                     milliseconds (an upper bound: the edge of a histogram bucket), or null when
     *                     nothing was answered or latency is not measured
     * @param cacheHits    answers from the service's memory cache (web: files, dns: rendered static
     *                     answers), or null for services without one
     * @param cacheRatio   the share of lookups the cache answered, 0 to 1 (web: file responses, dns:
     *                     queries), or null before the first lookup
     * @param sampledAt    when the last sample was taken (ISO-8601), or null before the first one
     * @param interval     seconds between samples
     */
    public record Stats(String unit, long total, long errors, double rate, double errorRate,
                        Map<String, Long> counts, Long bytes, Double bytesRate, Double p99Ms, Long cacheHits,
                        Double cacheRatio, String sampledAt, long interval) {
        public Stats {
            counts = Collections.unmodifiableMap(new LinkedHashMap<>(counts));
        }
    }

    /**
     * The recent history of a service, oldest point first: one point per sampling interval, up to
     * the last ten minutes, kept in memory since the process started.
     *
     * @param service  the service
     * @param unit     what the rate counts (see {@link Stats#unit()})
     * @param interval seconds between points
     * @param window   seconds the points cover once the history is full (older points are dropped)
     * @param points   the points, oldest first
     */
    public record History(String service, String unit, long interval, long window, List<Point> points) {
        public History {
            points = List.copyOf(points);
        }
    }

    /**
     * One sampling interval.
     *
     * @param time   when it ended (ISO-8601)
     * @param rate   requests, queries or connections per second over it
     * @param errors errors per second over it
     * @param p99Ms  the 99th percentile of response times over it in milliseconds, or null
     */
    public record Point(String time, double rate, double errors, Double p99Ms) {
    }

    /**
     * A group of hosts.
     *
     * @param name   the group name
     * @param active true for the group new connections go to
     * @param hosts  its hosts
     */
    public record Group(String name, boolean active, List<Host> hosts) {
        public Group {
            hosts = List.copyOf(hosts);
        }
    }

    /**
     * One host with its live state.
     *
     * @param name        its name in URLs: the address
     * @param address     {@code host:port}
     * @param weight      its weight
     * @param admin       {@code enabled}, {@code disabled} or {@code draining}
     * @param health      {@code up}, {@code down} or {@code unknown}
     * @param open        connections open now
     * @param total       connections ever started
     * @param failed      connect attempts (and, for a proxy, requests) that failed
     * @param retries     requests that failed on this host and were sent again (proxy pools; 0 for others)
     * @param bytesIn     bytes received from the host (proxy pools: as they arrive; lb: over closed
     *                    connections)
     * @param bytesOut    bytes sent to the host (proxy pools: as they are written; lb: over closed
     *                    connections)
     * @param rate        new connections per second, over the last second or more
     * @param lastClose   when a connection last closed (ISO-8601), or null
     * @param lastFailure  the last failure, or null
     * @param healthReason why the health state last changed (a check's result), or null
     */
    public record Host(String name, String address, int weight, String admin, String health, long open, long total,
                       long failed, long retries, long bytesIn, long bytesOut, double rate, String lastClose, Failure lastFailure,
                       String healthReason) {
    }

    /**
     * A failure of a host.
     *
     * @param time   when (ISO-8601)
     * @param reason what happened
     */
    public record Failure(String time, String reason) {
    }

    /**
     * A dynamic DNS record (3nsd/gdnsd style) of a {@code dns} service.
     *
     * @param name       the owner name, lower case, without the trailing dot
     * @param level      its place in a failover chain: 0 for {@code name}, 1 for {@code _name}, …
     * @param fallbackOf the chain's head this level backs up, or null at level 0
     * @param ttlMax     TTL of answers while health is stable
     * @param ttlMin     TTL of answers while a health change may be near
     * @param answers    addresses per answer at most; 0 for all
     * @param lastResort addresses answered when every level of the chain is down (head only)
     * @param check      the health check, as text
     * @param addresses  the addresses in configured order
     */
    public record DnsRecord(String name, int level, String fallbackOf, long ttlMax, long ttlMin, int answers,
                            List<String> lastResort, String check, List<RecordAddress> addresses) {
        public DnsRecord {
            lastResort = List.copyOf(lastResort);
            addresses = List.copyOf(addresses);
        }
    }

    /**
     * One address of a dynamic record.
     *
     * @param address      the IP answered; its name in URLs
     * @param checked      what the health check connects to, {@code host:port}
     * @param weight       its weight in the answer rotation
     * @param health       {@code up}, {@code down} or {@code unknown}, as the checks find it
     * @param healthReason why the health last changed, or null
     * @param healthSince  when the health last changed (ISO-8601), or null before the first check
     * @param forced       {@code up} or {@code down} while an operator overrides the checks, else null
     * @param answered     whether queries get this address now (its level's checks and forcing only;
     *                     the level itself answers only while an address of a level above has none)
     */
    public record RecordAddress(String address, String checked, int weight, String health, String healthReason,
                                String healthSince, String forced, boolean answered) {
    }

    /**
     * What {@code save} did.
     *
     * @param written true when the file was written, false when it already held the running config
     * @param file    the config file
     * @param backup  the copy of the previous file, or null when nothing was written
     */
    public record Saved(boolean written, String file, String backup) {
    }

    /**
     * A proxy's response cache.
     *
     * @param service     the service name
     * @param memory      the memory tier
     * @param disk        the disk tier, or null without one
     * @param hits        answers from the cache while fresh
     * @param misses      answers fetched from a backend
     * @param stale       stale answers (stale-while-revalidate, stale-if-error)
     * @param revalidated answers from the cache after a backend's 304
     * @param bypass      requests the cache did not handle
     * @param bans        the bans in force, as {@code prefix:...} or {@code regex:...}
     */
    public record Cache(String service, CacheTier memory, CacheTier disk, long hits, long misses, long stale,
                        long revalidated, long bypass, List<String> bans) {
        public Cache {
            bans = List.copyOf(bans);
        }
    }

    /**
     * One tier of a cache.
     *
     * @param entries entries held (on disk: URL indexes and variants)
     * @param bytes   bytes held
     * @param limit   the tier's bound in bytes
     */
    public record CacheTier(long entries, long bytes, long limit) {
    }

    /**
     * What a purge removed.
     *
     * @param service the service
     * @param key     the URL purged, or null
     * @param prefix  the URL prefix purged, or null
     * @param removed URLs removed
     */
    public record Purged(String service, String key, String prefix, long removed) {
    }

    /**
     * A ban just made.
     *
     * @param service the service
     * @param ban     {@code prefix:...} or {@code regex:...}
     * @param created when (ISO-8601)
     */
    public record Banned(String service, String ban, String created) {
    }

    /**
     * A file store router ({@code type: filestore}).
     *
     * @param service        the service name
     * @param reads          GET and HEAD requests since it started
     * @param writes         PUT, DELETE and MKCOL requests since it started, whatever their result
     * @param readRate       reads per second, over the last second or more
     * @param writeRate      writes per second, over the same time
     * @param writesDegraded writes acknowledged with fewer copies than the redundancy (the quorum met)
     * @param writesFailed   writes that did not reach the quorum
     * @param missingCopies  reads that found a copy missing on a node while another node had it
     * @param nodes          every node of every pool and stage, once, in config order
     * @param handoff        the handoff journal: its length and the replays still to make
     * @param lastCheck      the last {@code fs check} (or the one a repair made), or null before any
     * @param repair         the last or running {@code fs repair}, or null before any
     */
    public record Filestore(String service, long reads, long writes, double readRate, double writeRate,
                            long writesDegraded, long writesFailed, long missingCopies, List<FsNode> nodes,
                            FsHandoff handoff, FsCheck lastCheck, FsRepair repair) {
        public Filestore {
            nodes = List.copyOf(nodes);
        }
    }

    /**
     * A file store's hinted-handoff journal.
     *
     * @param journal live records: writes a node missed, and tombstones of deletes
     * @param pending writes a node missed, still to be replayed (the journal without its tombstones)
     * @param problem why the journal cannot be written now (degraded writes are refused meanwhile), or null
     */
    public record FsHandoff(long journal, long pending, String problem) {
    }

    /**
     * The result of the last {@code fs check} of a file store.
     *
     * @param finished when it ended (ISO-8601)
     * @param nodes    nodes walked
     * @param files    distinct files seen
     * @param copies   copies seen
     * @param counts   findings by kind ({@code missing}, {@code misplaced}, {@code differing}, ...), zero counts left out
     * @param clean    whether it found nothing
     */
    public record FsCheck(String finished, long nodes, long files, long copies, Map<String, Integer> counts,
                          boolean clean) {
        public FsCheck {
            counts = Map.copyOf(counts);
        }
    }

    /**
     * A tunnel service ({@code type: tunnel}): its sessions.
     *
     * @param service  the service name
     * @param sessions every session, in config order
     */
    public record Tunnel(String service, List<TunnelSession> sessions) {
        public Tunnel {
            sessions = List.copyOf(sessions);
        }
    }

    /**
     * The progress of a file store's last (or running) {@code fs repair}.
     *
     * @param started  when its plan was made (ISO-8601)
     * @param updated  when its progress was last recorded (ISO-8601)
     * @param done     findings dealt with
     * @param total    findings in the plan
     * @param repaired copies made or deleted
     * @param skipped  findings left alone
     * @param failed   actions that failed
     * @param finished whether the plan is done
     * @param running  whether this daemon runs it now (started with {@code repair SERVICE})
     */
    public record FsRepair(String started, String updated, long done, long total, long repaired, long skipped,
                           long failed, boolean finished, boolean running) {
    }

    /**
     * One tunnel session.
     *
     * @param name         the session name
     * @param state        {@code up} or {@code down}
     * @param side         {@code client} (this side dials) or {@code server}
     * @param peer         the other side's UDP address while up, or null
     * @param device       the TUN device while up, or null (relayed sessions have none)
     * @param relayTo      the session at the other end of its relay, or null
     * @param transport    {@code reliable} or {@code datagram}
     * @param rttMs        the QUIC path's smoothed round-trip time in milliseconds, or null
     * @param cwndBytes    the QUIC path's congestion window in bytes, or null
     * @param lostPackets  QUIC packets lost on the current connection, or null
     * @param bytesIn      IP bytes from the tunnel since the start
     * @param bytesOut     IP bytes into the tunnel since the start
     * @param inRate       bytes per second in, over the last second or more
     * @param outRate      bytes per second out, over the same time
     * @param connects     authenticated connections that brought the session up
     * @param routeMetrics with {@code routing_metric: on}, the metric of each shared route it carries
     * @param bestRoutes   with {@code routing_metric: on}, the shared routes that go through it now
     */
    public record TunnelSession(String name, String state, String side, String peer, String device, String relayTo,
                                String transport, Double rttMs, Double cwndBytes, Double lostPackets, long bytesIn,
                                long bytesOut, double inRate, double outRate, long connects,
                                java.util.Map<String, Integer> routeMetrics, List<String> bestRoutes) {
        public TunnelSession {
            routeMetrics = java.util.Map.copyOf(routeMetrics);
            bestRoutes = List.copyOf(bestRoutes);
        }
    }

    /**
     * A tunnel session whose connection was dropped so that its client dials again.
     *
     * @param service the service
     * @param session the session
     */
    public record Reconnected(String service, String session) {
    }

    /**
     * One storage node of a file store.
     *
     * @param name         {@code host:port}
     * @param health       {@code up}, {@code down} or {@code unknown}
     * @param healthReason why the health last changed, or null
     * @param latencyMs    smoothed time to a read's response head in milliseconds, or null before the first read
     * @param open         connections open to it now (kept-alive read connections included)
     * @param total        connections ever started
     * @param failed       connects and requests that failed
     * @param bytesIn      bytes received from it
     * @param bytesOut     bytes sent to it
     * @param lastFailure  the last failure, or null
     */
    public record FsNode(String name, String health, String healthReason, Double latencyMs, long open, long total,
                         long failed, long bytesIn, long bytesOut, Failure lastFailure) {
    }

    /**
     * A certificate name managed through ACME by a service ({@code tls.acme}).
     *
     * @param service     the service that serves it
     * @param name        the DNS name
     * @param notAfter    when the current certificate expires (ISO-8601), or null before the first
     * @param serial      the current certificate's serial number in hex, or null before the first
     * @param lastRenewal when the current certificate was stored (ISO-8601), or null
     * @param lastError   why the last attempt failed, or null when it did not
     * @param lastErrorAt when it failed (ISO-8601), or null
     * @param nextAttempt when the next order or renewal is due (ISO-8601), or null when none is planned
     * @param failures    failed attempts in a row
     * @param renewing    whether an attempt is under way
     */
    public record ManagedName(String service, String name, String notAfter, String serial, String lastRenewal,
                              String lastError, String lastErrorAt, String nextAttempt, int failures, boolean renewing) {
    }
}
