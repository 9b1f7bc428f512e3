package dev.portico.dns;

import dev.portico.core.net.Cidr;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Response rate limiting of a DNS service's UDP answers, with NSD's defaults: each client prefix
 * gets at most {@code ratelimit} answers a second of one kind (the same name and type, the same
 * zone's NXDOMAIN or NODATA, the same delegation, errors); the rest are dropped, every
 * {@code slip}-th of them sent instead as an empty truncated answer so that a real resolver behind
 * a spoofed address retries over TCP, which is never limited.
 *
 * @param ratelimit          answers a second per client prefix and kind; 0 turns rate limiting off
 * @param slip               every so many limited answers one goes out truncated (TC=1, no records);
 *                           0 drops them all, 1 truncates them all (0 to 10)
 * @param ipv4Prefix         IPv4 clients are grouped by this prefix length (0 to 32)
 * @param ipv6Prefix         IPv6 clients are grouped by this prefix length (0 to 64)
 * @param whitelistRatelimit the limit for whitelisted clients and kinds; 0 leaves them unlimited
 * @param size               buckets in the table (8 bytes a bucket, allocated as used, 4 KiB at a time)
 * @param whitelist          client ranges limited at {@code whitelistRatelimit} instead
 * @param whitelistKinds     kinds of answer limited at {@code whitelistRatelimit} instead
 *                           (NSD's {@code rrl-whitelist})
 * @param exempt             client ranges never limited
 */
public record RrlConfig(int ratelimit, int slip, int ipv4Prefix, int ipv6Prefix, int whitelistRatelimit, int size,
                        List<Cidr> whitelist, Set<Kind> whitelistKinds, List<Cidr> exempt) {

    /** NSD's {@code rrl-ratelimit}. */
    public static final int DEFAULT_RATELIMIT = 200;
    /** NSD's {@code rrl-slip}. */
    public static final int DEFAULT_SLIP = 2;
    /** NSD's {@code rrl-ipv4-prefix-length}. */
    public static final int DEFAULT_IPV4_PREFIX = 24;
    /** NSD's {@code rrl-ipv6-prefix-length}. */
    public static final int DEFAULT_IPV6_PREFIX = 64;
    /** NSD's {@code rrl-whitelist-ratelimit}. */
    public static final int DEFAULT_WHITELIST_RATELIMIT = 2000;
    /** NSD's {@code rrl-size}. */
    public static final int DEFAULT_SIZE = 1_000_000;
    /** The highest rate a bucket can count. */
    public static final int MAX_RATELIMIT = 1_000_000;
    /** The highest slip. */
    public static final int MAX_SLIP = 10;
    /** The largest table (512 MiB). */
    public static final int MAX_SIZE = 1 << 26;
    /** The defaults: on, as NSD built with rate limiting. */
    public static final RrlConfig DEFAULTS = builder().build();
    /** Rate limiting off. */
    public static final RrlConfig OFF = builder().ratelimit(0).build();

    /**
     * What an answer is counted as; answers of one kind for one client prefix share a bucket, keyed
     * as each kind says.
     */
    public enum Kind {
        /** A name with records of the type asked; keyed by the name and type. */
        POSITIVE,
        /** An answer to {@code ANY}; keyed by the name. */
        ANY,
        /** NOERROR without an answer; keyed by the zone (the SOA's owner). */
        NODATA,
        /** NXDOMAIN; keyed by the zone (the SOA's owner), whatever the name asked. */
        NXDOMAIN,
        /** A delegation to another server; keyed by the delegated name. */
        REFERRAL,
        /** Any other rcode (REFUSED outside our zones, FORMERR, NOTIMP, SERVFAIL); keyed by the zone when there is one. */
        ERROR;

        /**
         * The kind named as in NSD's {@code rrl-whitelist}.
         *
         * @throws IllegalArgumentException for an unknown word
         */
        public static Kind parse(String word) {
            try {
                return valueOf(word.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + word + "' is not a kind of answer (" + words() + ", all)");
            }
        }

        /** The kinds' names, lower case. */
        static List<String> words() {
            return java.util.Arrays.stream(values()).map(k -> k.name().toLowerCase(Locale.ROOT)).toList();
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Validates and copies the fields. */
    public RrlConfig {
        whitelist = List.copyOf(whitelist);
        whitelistKinds = whitelistKinds.isEmpty() ? Set.of() : java.util.Collections.unmodifiableSet(EnumSet.copyOf(whitelistKinds));
        exempt = List.copyOf(exempt);
        range("ratelimit", ratelimit, 0, MAX_RATELIMIT);
        range("slip", slip, 0, MAX_SLIP);
        range("ipv4_prefix", ipv4Prefix, 0, 32);
        range("ipv6_prefix", ipv6Prefix, 0, 64);
        range("whitelist_ratelimit", whitelistRatelimit, 0, MAX_RATELIMIT);
        range("size", size, 1, MAX_SIZE);
    }

    private static void range(String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("rrl " + key + " " + value + " is out of range (" + min + " to " + max + ")");
        }
    }

    /**
     * Whether answers are limited at all.
     *
     * @return false when {@code ratelimit} is 0
     */
    public boolean enabled() {
        return ratelimit > 0;
    }

    /**
     * Starts a builder with NSD's defaults.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder initialised from this config.
     *
     * @return the builder
     */
    public Builder toBuilder() {
        Builder b = builder().ratelimit(ratelimit).slip(slip).ipv4Prefix(ipv4Prefix).ipv6Prefix(ipv6Prefix)
                .whitelistRatelimit(whitelistRatelimit).size(size);
        whitelist.forEach(b::whitelist);
        whitelistKinds.forEach(b::whitelist);
        exempt.forEach(b::exempt);
        return b;
    }

    /** Builds an {@link RrlConfig}. */
    public static final class Builder {
        private int ratelimit = DEFAULT_RATELIMIT;
        private int slip = DEFAULT_SLIP;
        private int ipv4Prefix = DEFAULT_IPV4_PREFIX;
        private int ipv6Prefix = DEFAULT_IPV6_PREFIX;
        private int whitelistRatelimit = DEFAULT_WHITELIST_RATELIMIT;
        private int size = DEFAULT_SIZE;
        private final List<Cidr> whitelist = new ArrayList<>();
        private final Set<Kind> whitelistKinds = EnumSet.noneOf(Kind.class);
        private final List<Cidr> exempt = new ArrayList<>();

        private Builder() {
        }

        /**
         * Sets the answers a second per client prefix and kind.
         *
         * @param value 0 (off) to {@value #MAX_RATELIMIT}
         * @return this builder
         */
        public Builder ratelimit(int value) {
            ratelimit = value;
            return this;
        }

        /**
         * Sets how often a limited answer goes out truncated instead of not at all.
         *
         * @param value 0 (never) to {@value #MAX_SLIP}; 1 is always
         * @return this builder
         */
        public Builder slip(int value) {
            slip = value;
            return this;
        }

        /**
         * Sets the prefix length IPv4 clients are grouped by.
         *
         * @param value 0 to 32
         * @return this builder
         */
        public Builder ipv4Prefix(int value) {
            ipv4Prefix = value;
            return this;
        }

        /**
         * Sets the prefix length IPv6 clients are grouped by.
         *
         * @param value 0 to 64
         * @return this builder
         */
        public Builder ipv6Prefix(int value) {
            ipv6Prefix = value;
            return this;
        }

        /**
         * Sets the limit of whitelisted clients and kinds.
         *
         * @param value 0 (unlimited) to {@value #MAX_RATELIMIT}
         * @return this builder
         */
        public Builder whitelistRatelimit(int value) {
            whitelistRatelimit = value;
            return this;
        }

        /**
         * Sets the number of buckets.
         *
         * @param value 1 to {@value #MAX_SIZE}
         * @return this builder
         */
        public Builder size(int value) {
            size = value;
            return this;
        }

        /**
         * Limits the clients of a range at the whitelist rate.
         *
         * @param range the range
         * @return this builder
         */
        public Builder whitelist(Cidr range) {
            whitelist.add(Objects.requireNonNull(range, "range"));
            return this;
        }

        /**
         * Limits answers of a kind at the whitelist rate.
         *
         * @param kind the kind
         * @return this builder
         */
        public Builder whitelist(Kind kind) {
            whitelistKinds.add(Objects.requireNonNull(kind, "kind"));
            return this;
        }

        /**
         * Never limits the clients of a range.
         *
         * @param range the range
         * @return this builder
         */
        public Builder exempt(Cidr range) {
            exempt.add(Objects.requireNonNull(range, "range"));
            return this;
        }

        /**
         * Builds and validates the config.
         *
         * @return the config
         * @throws IllegalArgumentException when a value is out of range
         */
        public RrlConfig build() {
            return new RrlConfig(ratelimit, slip, ipv4Prefix, ipv6Prefix, whitelistRatelimit, size, whitelist,
                    whitelistKinds, exempt);
        }
    }
}
