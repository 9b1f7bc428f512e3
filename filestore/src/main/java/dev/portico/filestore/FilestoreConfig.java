package dev.portico.filestore;

import dev.portico.core.net.Cidr;
import dev.portico.core.net.HostPort;
import dev.portico.proxy.cache.CacheConfig;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The settings of a file store router ({@code type: filestore}).
 *
 * @param listen          addresses to listen on
 * @param pools           pools by Host key, in the config's order ({@code *}: any other Host)
 * @param redundancy      copies of each file; fixed for the store's lifetime
 * @param region          16, 256, 4096 or 65536; fixed for the store's lifetime
 * @param prefix          the URL marker: {@code /<prefix>_<stage>/path}
 * @param writePermit     who may PUT, DELETE and MKCOL; empty refuses every write
 * @param writeQuorum     copies that must succeed before a write is acknowledged (1 to redundancy)
 * @param connectTimeout  connecting to a node
 * @param responseTimeout from the end of a request to a node's response head
 * @param idleTimeout     a node or client connection with no traffic
 * @param health          how nodes are checked
 * @param stateDir        where the layout state file and the handoff journal live
 *                        ({@code <state_dir>/filestore/<service>.state}, {@code .journal}); null for the
 *                        process's top-level {@code state_dir}
 * @param force           accept a layout that differs from the state file and record the new one
 * @param maxBodySize     largest request body (0: no limit)
 * @param maxConnections  client connections (0: from the descriptor limit)
 * @param backlog         listen backlog
 * @param tombstoneTtl    how long the handoff journal keeps a deleted file's tombstone
 * @param handoff         how the handoff journal is replayed and bounded
 * @param cache           the response cache of reads (the proxy's {@code cache:} section), or null for none
 */
public record FilestoreConfig(List<HostPort> listen, Map<String, StorePool> pools, int redundancy, int region,
                              String prefix, List<Cidr> writePermit, int writeQuorum, Duration connectTimeout,
                              Duration responseTimeout, Duration idleTimeout, HealthCheckConfig health, Path stateDir,
                              boolean force, long maxBodySize, int maxConnections, int backlog,
                              Duration tombstoneTtl, HandoffSettings handoff, CacheConfig cache) {

    /**
     * The handoff journal's replay and bound.
     *
     * @param interval   between replay rounds
     * @param rate       records replayed per second at most
     * @param maxEntries live records at most; a write whose misses would pass it is not acknowledged
     */
    public record HandoffSettings(Duration interval, int rate, int maxEntries) {
        public static final HandoffSettings DEFAULT = new HandoffSettings(Duration.ofSeconds(5), 100, 1_000_000);

        public HandoffSettings {
            Objects.requireNonNull(interval, "interval");
            if (interval.isZero() || interval.isNegative()) {
                throw new IllegalArgumentException("handoff.interval must be more than 0s");
            }
            if (rate < 1) {
                throw new IllegalArgumentException("handoff.rate must be at least 1 a second, not " + rate);
            }
            if (maxEntries < 1) {
                throw new IllegalArgumentException("handoff.max_entries must be at least 1, not " + maxEntries);
            }
        }
    }

    public static final Duration DEFAULT_TOMBSTONE_TTL = Duration.ofDays(7);

    /** The Host key of the pool for any Host without its own. */
    public static final String DEFAULT_POOL = "*";
    public static final String DEFAULT_PREFIX = "_3fs";
    public static final int DEFAULT_REGION = 256;

    public FilestoreConfig {
        listen = List.copyOf(listen);
        pools = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(pools));
        writePermit = List.copyOf(writePermit);
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(handoff, "handoff");
        if (tombstoneTtl == null || tombstoneTtl.isNegative() || tombstoneTtl.isZero()) {
            throw new IllegalArgumentException("tombstone_ttl must be more than 0s");
        }
        if (listen.isEmpty()) {
            throw new IllegalArgumentException("needs at least one listen address");
        }
        if (pools.isEmpty()) {
            throw new IllegalArgumentException("needs at least one pool");
        }
        if (!Placement.validRegion(region)) {
            throw new IllegalArgumentException("region must be 16, 256, 4096 or 65536, not " + region
                    + " (other values skew placement)");
        }
        int max = Placement.maxRedundancy(region);
        if (redundancy < 1 || redundancy > max) {
            throw new IllegalArgumentException("redundancy must be 1 to " + max + " with region " + region
                    + " (md5 has 32 hex digits, " + Placement.digits(region) + " per copy), not " + redundancy);
        }
        for (StorePool p : pools.values()) {
            for (Map.Entry<Integer, List<String>> st : p.stages().entrySet()) {
                int count = st.getValue().size();
                if (count > region) {
                    throw new IllegalArgumentException("pool '" + p.host() + "' stage " + st.getKey() + " has " + count
                            + " nodes, more than region " + region);
                }
                if (redundancy > count) {
                    throw new IllegalArgumentException("pool '" + p.host() + "' stage " + st.getKey() + " has " + count
                            + " node" + (count == 1 ? "" : "s") + ", fewer than redundancy " + redundancy);
                }
            }
        }
        if (writeQuorum < 1 || writeQuorum > redundancy) {
            throw new IllegalArgumentException("write_quorum must be 1 to redundancy (" + redundancy + "), not "
                    + writeQuorum);
        }
        if (!prefix.matches("[A-Za-z0-9._~-]+")) {
            throw new IllegalArgumentException("prefix '" + prefix + "' must be one path segment of letters, digits and ._~-");
        }
    }

    /** The pool of a Host (already normalised), else the {@code *} pool, else null. */
    public StorePool pool(String host) {
        StorePool p = pools.get(host);
        return p != null ? p : pools.get(DEFAULT_POOL);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a config; every setting but listen and pools has a default. */
    public static final class Builder {
        private final List<HostPort> listen = new ArrayList<>();
        private final Map<String, StorePool> pools = new LinkedHashMap<>();
        private int redundancy = 2;
        private int region = DEFAULT_REGION;
        private String prefix = DEFAULT_PREFIX;
        private final List<Cidr> writePermit = new ArrayList<>();
        private int writeQuorum;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration responseTimeout = Duration.ofSeconds(60);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private HealthCheckConfig health = HealthCheckConfig.builder(HealthCheckType.TCP).build();
        private Path stateDir;
        private boolean force;
        private long maxBodySize;
        private int maxConnections;
        private int backlog = 4096;
        private Duration tombstoneTtl = DEFAULT_TOMBSTONE_TTL;
        private HandoffSettings handoff = HandoffSettings.DEFAULT;
        private CacheConfig cache;

        public Builder listen(HostPort value) {
            listen.add(value);
            return this;
        }

        public Builder pool(StorePool value) {
            pools.put(value.host(), value);
            return this;
        }

        public Builder redundancy(int value) {
            redundancy = value;
            return this;
        }

        public Builder region(int value) {
            region = value;
            return this;
        }

        public Builder prefix(String value) {
            prefix = value;
            return this;
        }

        public Builder writePermit(Cidr value) {
            writePermit.add(value);
            return this;
        }

        /** Copies a write needs; unset (0) means all of them. */
        public Builder writeQuorum(int value) {
            writeQuorum = value;
            return this;
        }

        public Builder connectTimeout(Duration value) {
            connectTimeout = value;
            return this;
        }

        public Builder responseTimeout(Duration value) {
            responseTimeout = value;
            return this;
        }

        public Builder idleTimeout(Duration value) {
            idleTimeout = value;
            return this;
        }

        public Builder health(HealthCheckConfig value) {
            health = value;
            return this;
        }

        public Builder stateDir(Path value) {
            stateDir = value;
            return this;
        }

        public Builder force(boolean value) {
            force = value;
            return this;
        }

        public Builder maxBodySize(long value) {
            maxBodySize = value;
            return this;
        }

        public Builder maxConnections(int value) {
            maxConnections = value;
            return this;
        }

        public Builder backlog(int value) {
            backlog = value;
            return this;
        }

        /** How long a deleted file's tombstone is kept (default 7 days). */
        public Builder tombstoneTtl(Duration value) {
            tombstoneTtl = value;
            return this;
        }

        /** The handoff journal's replay interval, rate and bound. */
        public Builder handoff(HandoffSettings value) {
            handoff = value;
            return this;
        }

        /** The response cache of reads; null (the default) for none. */
        public Builder cache(CacheConfig value) {
            cache = value;
            return this;
        }

        /** @throws IllegalArgumentException when the settings do not fit together */
        public FilestoreConfig build() {
            return new FilestoreConfig(listen, pools, redundancy, region, prefix, writePermit,
                    writeQuorum == 0 ? redundancy : writeQuorum, connectTimeout, responseTimeout, idleTimeout, health,
                    stateDir, force, maxBodySize, maxConnections, backlog, tombstoneTtl, handoff, cache);
        }
    }
}
