package dev.portico.dns;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * LRRR ("left-right range resolve", from 3nsd): public names answered with a CNAME to the nearer of
 * two sites, where "nearer" is the round-trip time from the asking resolver to each site's DNS
 * server, measured by the two servers themselves through a short chain of CNAMEs. No GeoIP data is
 * needed, and the two servers need no clock sync and no link to each other.
 *
 * <p>Two Portico servers take part, with the same {@code lrrr} section apart from {@code side}: the
 * left one is authoritative for the {@code left} zone, the right one for the {@code right} zone, and
 * both for the zone that holds the public names ({@code suffix}). A public name
 * {@code ga.i.example.test} is sent to {@code ga.l.example.test} or {@code ga.r.example.test}. See
 * {@link Lrrr} for the measuring chain.
 *
 * @param side         which side this server is
 * @param left         the zone only the left-side server answers, for example {@code l.example.test}
 * @param right        the zone only the right-side server answers, for example {@code r.example.test}
 * @param suffix       the public zone (3nsd's {@code range_suffix}), for example {@code i.example.test}
 * @param names        the public names sent to the nearer side, each under {@code suffix}
 * @param prefix       the first part of measuring labels (3nsd's {@code lr_prefix}); letters and digits
 * @param rttTtl       how long a resolver's measured round-trip times are kept (3nsd's {@code lr_ttl})
 * @param answerTtl    TTL in seconds of a public name's CNAME once both times are known (it is never
 *                     longer than what is left of {@code rttTtl})
 * @param maxResolvers how many resolvers' times are kept at once
 */
public record LrrrConfig(Side side, String left, String right, String suffix, List<String> names, String prefix,
                         Duration rttTtl, long answerTtl, int maxResolvers) {

    /** 3nsd's default {@code lr_prefix}. */
    public static final String DEFAULT_PREFIX = "lr";
    /** 3nsd's default {@code lr_ttl}. */
    public static final Duration DEFAULT_RTT_TTL = Duration.ofHours(1);
    /** The default TTL of the final public CNAME. */
    public static final long DEFAULT_ANSWER_TTL = 60;
    /** The default number of resolvers remembered. */
    public static final int DEFAULT_MAX_RESOLVERS = 100_000;

    /** One of the two sites. */
    public enum Side {
        /** The left site. */
        LEFT,
        /** The right site. */
        RIGHT;

        /**
         * The other site.
         *
         * @return RIGHT for LEFT and LEFT for RIGHT
         */
        public Side other() {
            return this == LEFT ? RIGHT : LEFT;
        }

        /**
         * Parses {@code left} or {@code right}.
         *
         * @param text the word, in any case
         * @return the side
         * @throws IllegalArgumentException for anything else
         */
        public static Side parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "left" -> LEFT;
                case "right" -> RIGHT;
                default -> throw new IllegalArgumentException("side '" + text + "' is not left or right");
            };
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Validates and normalises the fields. */
    public LrrrConfig {
        Objects.requireNonNull(side, "side");
        Objects.requireNonNull(rttTtl, "rttTtl");
        left = DnsNames.normalize(Objects.requireNonNull(left, "left"));
        right = DnsNames.normalize(Objects.requireNonNull(right, "right"));
        suffix = DnsNames.normalize(Objects.requireNonNull(suffix, "suffix"));
        prefix = Objects.requireNonNull(prefix, "prefix").toLowerCase(Locale.ROOT);
        if (!prefix.matches("[a-z0-9]{1,16}")) {
            throw new IllegalArgumentException("lrrr prefix '" + prefix + "' must be 1 to 16 letters or digits");
        }
        if (left.equals(right) || left.equals(suffix) || right.equals(suffix)) {
            throw new IllegalArgumentException("lrrr left, right and suffix must be three different zones");
        }
        List<String> normal = new ArrayList<>();
        for (String n : new LinkedHashSet<>(names)) {
            String name = DnsNames.normalize(n);
            if (!name.endsWith("." + suffix)) {
                throw new IllegalArgumentException("lrrr name " + name + " is not under the suffix " + suffix);
            }
            normal.add(name);
        }
        names = List.copyOf(normal);
        if (names.isEmpty()) {
            throw new IllegalArgumentException("lrrr needs at least one name under " + suffix);
        }
        if (rttTtl.isNegative() || rttTtl.isZero()) {
            throw new IllegalArgumentException("lrrr rtt_ttl must be positive");
        }
        if (answerTtl < 0 || answerTtl > 0x7fff_ffffL) {
            throw new IllegalArgumentException("lrrr answer_ttl " + answerTtl + " is out of range");
        }
        if (maxResolvers < 1) {
            throw new IllegalArgumentException("lrrr max_resolvers must be at least 1");
        }
    }

    /**
     * Starts a builder with 3nsd's defaults.
     *
     * @param side   this server's side
     * @param left   the left zone
     * @param right  the right zone
     * @param suffix the public zone
     * @return the builder
     */
    public static Builder builder(Side side, String left, String right, String suffix) {
        return new Builder(side, left, right, suffix);
    }

    /**
     * The same settings for the server on the other side.
     *
     * @return a copy with the other {@code side}
     */
    public LrrrConfig otherSide() {
        return new LrrrConfig(side.other(), left, right, suffix, names, prefix, rttTtl, answerTtl, maxResolvers);
    }

    /**
     * The zone of a side.
     *
     * @param s the side
     * @return {@link #left()} or {@link #right()}
     */
    public String zone(Side s) {
        return s == Side.LEFT ? left : right;
    }

    /** Builds an {@link LrrrConfig}. */
    public static final class Builder {
        private final Side side;
        private final String left;
        private final String right;
        private final String suffix;
        private final List<String> names = new ArrayList<>();
        private String prefix = DEFAULT_PREFIX;
        private Duration rttTtl = DEFAULT_RTT_TTL;
        private long answerTtl = DEFAULT_ANSWER_TTL;
        private int maxResolvers = DEFAULT_MAX_RESOLVERS;

        private Builder(Side side, String left, String right, String suffix) {
            this.side = side;
            this.left = left;
            this.right = right;
            this.suffix = suffix;
        }

        /**
         * Adds a public name.
         *
         * @param name a name under the suffix, for example {@code ga.i.example.test}
         * @return this builder
         */
        public Builder name(String name) {
            names.add(Objects.requireNonNull(name, "name"));
            return this;
        }

        /**
         * Sets the measuring label prefix.
         *
         * @param value letters and digits
         * @return this builder
         */
        public Builder prefix(String value) {
            prefix = value;
            return this;
        }

        /**
         * Sets how long measured times are kept.
         *
         * @param value a positive duration
         * @return this builder
         */
        public Builder rttTtl(Duration value) {
            rttTtl = value;
            return this;
        }

        /**
         * Sets the TTL of the final public CNAME.
         *
         * @param seconds the TTL
         * @return this builder
         */
        public Builder answerTtl(long seconds) {
            answerTtl = seconds;
            return this;
        }

        /**
         * Sets how many resolvers are remembered.
         *
         * @param value at least 1
         * @return this builder
         */
        public Builder maxResolvers(int value) {
            maxResolvers = value;
            return this;
        }

        /**
         * Builds and validates.
         *
         * @return the config
         * @throws IllegalArgumentException when a value is invalid
         */
        public LrrrConfig build() {
            return new LrrrConfig(side, left, right, suffix, names, prefix, rttTtl, answerTtl, maxResolvers);
        }
    }
}
