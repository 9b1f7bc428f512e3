package dev.portico.dns;

import dev.portico.core.net.HostPort;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a DNS service reads from its config section.
 *
 * @param listen         addresses served over both UDP and TCP (port 0 picks one free port for both)
 * @param zones          zone origin (lower case, no trailing dot) to RFC 1035 master file
 * @param dynamic        health-checked failover records, each inside one of the zones
 * @param ednsMaxPayload largest UDP answer sent to an EDNS client (512 to 65535; default 1232)
 * @param tcpIdleTimeout a TCP connection idle this long is closed
 * @param tcpMaxConnections TCP connections open at once (one more is closed as it is accepted); 0 derives it
 *                       from the descriptor limit ({@link dev.portico.core.limits.DescriptorBudget})
 * @param cacheEntries   how many rendered static answers are kept (0 disables the answer cache)
 * @param geoipDb        the MaxMind DB that geo variants of dynamic records are chosen by; null for none
 * @param lrrr           3nsd's nearest-side answers, or null when this server takes no part in LRRR
 * @param resources      health-checked address sets that answer only where a zone file points at them
 *                       with {@code NAME IN DYNA RESOURCE}; their names are single words such as
 *                       {@code prod_www} (and {@code _prod_www} is the first backup level of
 *                       {@code prod_www}, as for dynamic records)
 * @param adminStateFile where operators' overrides of dynamic addresses are kept across restarts
 *                       ({@link AdminStateFile}); null to keep them in memory only
 * @param rrl            response rate limiting of UDP answers ({@link RrlConfig#DEFAULTS}: on, with
 *                       NSD's defaults; {@link RrlConfig#OFF} to answer every query)
 */
public record DnsConfig(List<HostPort> listen, Map<String, Path> zones, List<DynamicRecordSpec> dynamic,
                        int ednsMaxPayload, Duration tcpIdleTimeout, int tcpMaxConnections, int cacheEntries,
                        Path geoipDb, LrrrConfig lrrr, List<DynamicRecordSpec> resources, Path adminStateFile,
                        RrlConfig rrl) {

    /** The default EDNS UDP payload cap (the DNS flag day 2020 value). */
    public static final int DEFAULT_EDNS_MAX_PAYLOAD = 1232;
    /** The default TCP idle timeout. */
    public static final Duration DEFAULT_TCP_IDLE_TIMEOUT = Duration.ofSeconds(10);
    /** The default number of cached answers. */
    public static final int DEFAULT_CACHE_ENTRIES = 100_000;

    /** Validates and copies the fields. */
    public DnsConfig {
        listen = List.copyOf(listen);
        zones = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(zones));
        dynamic = List.copyOf(dynamic);
        resources = List.copyOf(resources);
        Objects.requireNonNull(tcpIdleTimeout, "tcpIdleTimeout");
        Objects.requireNonNull(rrl, "rrl");
        if (listen.isEmpty()) {
            throw new IllegalArgumentException("a DNS service needs at least one listen address");
        }
        if (zones.isEmpty()) {
            throw new IllegalArgumentException("a DNS service needs at least one zone");
        }
        if (ednsMaxPayload < 512 || ednsMaxPayload > 65_535) {
            throw new IllegalArgumentException("edns_max_payload " + ednsMaxPayload + " is out of range (512 to 65535)");
        }
        if (tcpIdleTimeout.isNegative() || tcpIdleTimeout.isZero()) {
            throw new IllegalArgumentException("tcp_idle_timeout must be positive");
        }
        if (tcpMaxConnections < 0) {
            throw new IllegalArgumentException("tcp_max_connections must not be negative");
        }
        if (cacheEntries < 0) {
            throw new IllegalArgumentException("cache_entries must not be negative");
        }
        java.util.Set<String> names = new java.util.HashSet<>();
        for (DynamicRecordSpec d : dynamic) {
            if (!names.add(d.name())) {
                throw new IllegalArgumentException("dynamic record " + d.name() + " is declared twice");
            }
            if (zones.keySet().stream().noneMatch(z -> d.name().equals(z) || d.name().endsWith("." + z))) {
                throw new IllegalArgumentException("dynamic record " + d.name() + " is not inside any zone " + zones.keySet());
            }
            if (!d.variants().geo().isEmpty() && geoipDb == null) {
                throw new IllegalArgumentException("dynamic record " + d.name() + " has geo variants but the service has no geoip_db");
            }
        }
        if (lrrr != null) {
            checkLrrr(lrrr, zones.keySet(), names);
        }
        for (DynamicRecordSpec r : resources) {
            if (!r.name().matches("[a-z0-9_-]{1,63}")) {
                throw new IllegalArgumentException("resource '" + r.name() + "' must be one word of letters, digits, '_' and '-'");
            }
            if (!names.add(r.name()) || zones.containsKey(r.name())) {
                throw new IllegalArgumentException("resource " + r.name() + " has the name of another resource, record or zone");
            }
            if (!r.variants().geo().isEmpty() && geoipDb == null) {
                throw new IllegalArgumentException("resource " + r.name() + " has geo variants but the service has no geoip_db");
            }
        }
    }

    /**
     * What a zone file's {@code DYNA} may point at: every resource and every dynamic record.
     *
     * @return the names, lower case without the trailing dot
     */
    public java.util.Set<String> dynaTargets() {
        java.util.Set<String> out = new java.util.HashSet<>();
        dynamic.forEach(d -> out.add(d.name()));
        resources.forEach(r -> out.add(r.name()));
        return java.util.Set.copyOf(out);
    }

    /** The public zone and this side's zone must be ours, and the public names must not be dynamic records too. */
    private static void checkLrrr(LrrrConfig lrrr, java.util.Set<String> zones, java.util.Set<String> dynamic) {
        for (String z : List.of(lrrr.suffix(), lrrr.zone(lrrr.side()))) {
            if (zones.stream().noneMatch(o -> z.equals(o) || z.endsWith("." + o))) {
                throw new IllegalArgumentException("lrrr zone " + z + " is not inside any zone " + zones
                        + " (the " + lrrr.side() + " server answers the suffix and the " + lrrr.side() + " zone)");
            }
        }
        for (String n : lrrr.names()) {
            if (dynamic.contains(n)) {
                throw new IllegalArgumentException("lrrr name " + n + " is also a dynamic record");
            }
        }
    }

    /**
     * Starts a builder with the defaults.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * This config listening on {@code addresses} instead.
     *
     * @throws IllegalArgumentException when {@code addresses} is empty
     */
    public DnsConfig withListen(List<HostPort> addresses) {
        return new DnsConfig(addresses, zones, dynamic, ednsMaxPayload, tcpIdleTimeout, tcpMaxConnections, cacheEntries,
                geoipDb, lrrr, resources, adminStateFile, rrl);
    }

    /**
     * A builder initialised from this config.
     *
     * @return the builder
     */
    public Builder toBuilder() {
        Builder b = new Builder().ednsMaxPayload(ednsMaxPayload).tcpIdleTimeout(tcpIdleTimeout)
                .tcpMaxConnections(tcpMaxConnections).cacheEntries(cacheEntries)
                .geoipDb(geoipDb).lrrr(lrrr).adminStateFile(adminStateFile).rrl(rrl);
        listen.forEach(b::listen);
        zones.forEach(b::zone);
        dynamic.forEach(b::dynamic);
        resources.forEach(b::resource);
        return b;
    }

    /** Builds a {@link DnsConfig}. */
    public static final class Builder {
        private final List<HostPort> listen = new ArrayList<>();
        private final Map<String, Path> zones = new LinkedHashMap<>();
        private final List<DynamicRecordSpec> dynamic = new ArrayList<>();
        private int ednsMaxPayload = DEFAULT_EDNS_MAX_PAYLOAD;
        private Duration tcpIdleTimeout = DEFAULT_TCP_IDLE_TIMEOUT;
        private int tcpMaxConnections;
        private int cacheEntries = DEFAULT_CACHE_ENTRIES;
        private Path geoipDb;
        private LrrrConfig lrrr;
        private final List<DynamicRecordSpec> resources = new ArrayList<>();
        private Path adminStateFile;
        private RrlConfig rrl = RrlConfig.DEFAULTS;

        private Builder() {
        }

        /**
         * Adds a listen address (UDP and TCP).
         *
         * @param address the address
         * @return this builder
         */
        public Builder listen(HostPort address) {
            listen.add(Objects.requireNonNull(address, "address"));
            return this;
        }

        /**
         * Adds a listen address in text form.
         *
         * @param address {@code host:port}
         * @return this builder
         */
        public Builder listen(String address) {
            return listen(HostPort.parse(address));
        }

        /**
         * Adds a zone.
         *
         * @param origin the zone's origin, for example {@code example.test}
         * @param file   its master file
         * @return this builder
         */
        public Builder zone(String origin, Path file) {
            zones.put(DnsNames.normalize(origin), Objects.requireNonNull(file, "file"));
            return this;
        }

        /**
         * Adds a dynamic record.
         *
         * @param spec the record
         * @return this builder
         */
        public Builder dynamic(DynamicRecordSpec spec) {
            dynamic.add(Objects.requireNonNull(spec, "spec"));
            return this;
        }

        /**
         * Sets the EDNS UDP payload cap.
         *
         * @param value 512 to 65535
         * @return this builder
         */
        public Builder ednsMaxPayload(int value) {
            ednsMaxPayload = value;
            return this;
        }

        /**
         * Sets the TCP idle timeout.
         *
         * @param value a positive duration
         * @return this builder
         */
        public Builder tcpIdleTimeout(Duration value) {
            tcpIdleTimeout = value;
            return this;
        }

        /**
         * Caps the TCP connections open at once.
         *
         * @param value 0 (the default) derives the cap from the descriptor limit
         * @return this builder
         */
        public Builder tcpMaxConnections(int value) {
            tcpMaxConnections = value;
            return this;
        }

        /**
         * Sets how many rendered answers are cached.
         *
         * @param value 0 disables the cache
         * @return this builder
         */
        public Builder cacheEntries(int value) {
            cacheEntries = value;
            return this;
        }

        /**
         * Sets the MaxMind DB (GeoLite2-Country or alike) that geo variants are chosen by.
         *
         * @param file the .mmdb file; null for none
         * @return this builder
         */
        public Builder geoipDb(Path file) {
            geoipDb = file;
            return this;
        }

        /**
         * Adds a resource that zone files point at with {@code DYNA}.
         *
         * @param spec the resource; its name is the word after {@code DYNA}
         * @return this builder
         */
        public Builder resource(DynamicRecordSpec spec) {
            resources.add(Objects.requireNonNull(spec, "spec"));
            return this;
        }

        /**
         * Sets the file that keeps operators' overrides of dynamic addresses across restarts.
         *
         * @param file the file (created by the first override); null to keep them in memory only
         * @return this builder
         */
        public Builder adminStateFile(Path file) {
            adminStateFile = file;
            return this;
        }

        /**
         * Sets the LRRR settings.
         *
         * @param value the settings, or null for none
         * @return this builder
         */
        public Builder lrrr(LrrrConfig value) {
            lrrr = value;
            return this;
        }

        /**
         * Sets response rate limiting of UDP answers.
         *
         * @param value the settings ({@link RrlConfig#OFF} to answer every query)
         * @return this builder
         */
        public Builder rrl(RrlConfig value) {
            rrl = Objects.requireNonNull(value, "value");
            return this;
        }

        /**
         * Builds and validates the config.
         *
         * @return the config
         * @throws IllegalArgumentException when a value is invalid
         */
        public DnsConfig build() {
            return new DnsConfig(listen, zones, dynamic, ednsMaxPayload, tcpIdleTimeout, tcpMaxConnections, cacheEntries,
                    geoipDb, lrrr, resources, adminStateFile, rrl);
        }
    }
}
