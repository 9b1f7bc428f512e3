package dev.portico.upstream.scheduler;

import dev.portico.upstream.Ticker;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Factory for every {@link Scheduler}. Names accepted by {@link #byName(String)}:
 *
 * <table>
 *   <caption>Scheduler names</caption>
 *   <tr><th>name</th><th>aliases</th><th>algorithm</th></tr>
 *   <tr><td>random</td><td>rand</td><td>uniform random</td></tr>
 *   <tr><td>roundrobin</td><td>roundr, rr</td><td>rotate in snapshot order</td></tr>
 *   <tr><td>leastconns</td><td>leastc, leastconn</td><td>fewest open; tie: least recently closed</td></tr>
 *   <tr><td>leastconnsrr</td><td></td><td>fewest open; tie: round robin among the tied</td></tr>
 *   <tr><td>weighted-leastconns</td><td>weightlc, wlc</td><td>fewest open per unit of weight</td></tr>
 *   <tr><td>weighted</td><td>wrr, weighted-roundrobin</td><td>nginx smooth weighted round robin</td></tr>
 *   <tr><td>weighted-random</td><td>weightr, wrandom</td><td>random, proportional to weight</td></tr>
 *   <tr><td>sticky</td><td>{@code <name>,sticky}</td><td>client affinity over a fallback (default roundrobin)</td></tr>
 *   <tr><td>maglev</td><td>hash</td><td>Maglev consistent hash of hash key or client IP</td></tr>
 *   <tr><td>rendezvous</td><td>hrw</td><td>weighted rendezvous hash of hash key or client IP</td></tr>
 * </table>
 *
 * <p>Each call returns a new, independent instance (schedulers carry per-pool state).
 */
public final class Schedulers {

    /** Sticky entries expire after this long without use, unless told otherwise. */
    public static final Duration DEFAULT_STICKY_TTL = Duration.ofMinutes(30);
    /** Sticky tables hold at most this many clients, unless told otherwise. */
    public static final int DEFAULT_STICKY_MAX_ENTRIES = 1 << 20;

    private static final List<String> NAMES = List.of("random", "roundrobin", "leastconns", "leastconnsrr",
            "weighted-leastconns", "weighted", "weighted-random", "sticky", "maglev", "rendezvous");

    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("rand", "random"),
            Map.entry("roundr", "roundrobin"),
            Map.entry("rr", "roundrobin"),
            Map.entry("leastc", "leastconns"),
            Map.entry("leastconn", "leastconns"),
            Map.entry("weightlc", "weighted-leastconns"),
            Map.entry("wlc", "weighted-leastconns"),
            Map.entry("wrr", "weighted"),
            Map.entry("weighted-roundrobin", "weighted"),
            Map.entry("weightr", "weighted-random"),
            Map.entry("wrandom", "weighted-random"),
            Map.entry("hash", "maglev"),
            Map.entry("hrw", "rendezvous"));

    private Schedulers() {
    }

    /**
     * The canonical scheduler names.
     *
     * @return the names, in documentation order
     */
    public static List<String> names() {
        return NAMES;
    }

    /**
     * Builds a scheduler from its configured name, with the system ticker for sticky expiry.
     *
     * @param name a name or alias from the table above, case-insensitive; {@code <name>,sticky}
     *             adds client affinity on top of {@code <name>}
     * @return a new scheduler
     * @throws IllegalArgumentException for an unknown name; the message lists the valid ones
     */
    public static Scheduler byName(String name) {
        return byName(name, Ticker.system());
    }

    /**
     * Builds a scheduler from its configured name.
     *
     * @param name   as in {@link #byName(String)}
     * @param ticker time source for sticky expiry
     * @return a new scheduler
     * @throws IllegalArgumentException for an unknown name; the message lists the valid ones
     */
    public static Scheduler byName(String name, Ticker ticker) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(ticker, "ticker");
        String[] parts = name.strip().toLowerCase(Locale.ROOT).split(",", -1);
        String spec = parts[0].strip();
        if (parts.length == 2 && parts[1].strip().equals("sticky")) {
            if (canonical(spec).equals("sticky")) {
                throw unknown(name);
            }
            return sticky(simple(spec, name), DEFAULT_STICKY_TTL, ticker);
        }
        if (parts.length != 1) {
            throw unknown(name);
        }
        if (canonical(spec).equals("sticky")) {
            return sticky(roundRobin(), DEFAULT_STICKY_TTL, ticker);
        }
        return simple(spec, name);
    }

    private static Scheduler simple(String spec, String original) {
        return switch (canonical(spec)) {
            case "random" -> random();
            case "roundrobin" -> roundRobin();
            case "leastconns" -> leastConns();
            case "leastconnsrr" -> leastConnsRoundRobin();
            case "weighted-leastconns" -> weightedLeastConns();
            case "weighted" -> weighted();
            case "weighted-random" -> weightedRandom();
            case "maglev" -> maglev();
            case "rendezvous" -> rendezvous();
            default -> throw unknown(original);
        };
    }

    private static String canonical(String spec) {
        return ALIASES.getOrDefault(spec, spec);
    }

    private static IllegalArgumentException unknown(String name) {
        return new IllegalArgumentException("scheduler: \"" + name + "\" (expected one of: "
                + String.join(", ", NAMES) + ", or <name>,sticky; aliases: "
                + String.join(", ", ALIASES.keySet().stream().sorted().toList()) + ")");
    }

    /**
     * Uniform random.
     *
     * @return a new scheduler
     */
    public static Scheduler random() {
        return new RandomScheduler(ThreadLocalRandom::current);
    }

    /**
     * Uniform random with a given generator (for reproducible tests).
     *
     * @param random supplies the generator for each pick; it must be safe for the calling threads
     * @return a new scheduler
     */
    public static Scheduler random(Supplier<? extends RandomGenerator> random) {
        return new RandomScheduler(random);
    }

    /**
     * Round robin in snapshot order.
     *
     * @return a new scheduler
     */
    public static Scheduler roundRobin() {
        return new RoundRobinScheduler();
    }

    /**
     * Least open connections, tie broken by least recent close.
     *
     * @return a new scheduler
     */
    public static Scheduler leastConns() {
        return new LeastConnsScheduler();
    }

    /**
     * Least open connections, tie broken round robin.
     *
     * @return a new scheduler
     */
    public static Scheduler leastConnsRoundRobin() {
        return new LeastConnsRoundRobinScheduler();
    }

    /**
     * Least open connections per unit of weight.
     *
     * @return a new scheduler
     */
    public static Scheduler weightedLeastConns() {
        return new WeightedLeastConnsScheduler();
    }

    /**
     * Smooth weighted round robin.
     *
     * @return a new scheduler
     */
    public static Scheduler weighted() {
        return new SmoothWeightedScheduler();
    }

    /**
     * Weighted random.
     *
     * @return a new scheduler
     */
    public static Scheduler weightedRandom() {
        return new WeightedRandomScheduler(ThreadLocalRandom::current);
    }

    /**
     * Weighted random with a given generator (for reproducible tests).
     *
     * @param random supplies the generator for each pick; it must be safe for the calling threads
     * @return a new scheduler
     */
    public static Scheduler weightedRandom(Supplier<? extends RandomGenerator> random) {
        return new WeightedRandomScheduler(random);
    }

    /**
     * Client affinity over a fallback, with default table size.
     *
     * @param fallback picks for new clients and when the remembered backend is unavailable
     * @param ttl      sliding expiry of an entry
     * @param ticker   time source for expiry
     * @return a new scheduler
     */
    public static StickyScheduler sticky(Scheduler fallback, Duration ttl, Ticker ticker) {
        return new StickyScheduler(fallback, ttl, ticker, DEFAULT_STICKY_MAX_ENTRIES);
    }

    /**
     * Client affinity over a fallback.
     *
     * @param fallback   picks for new clients and when the remembered backend is unavailable
     * @param ttl        sliding expiry of an entry
     * @param ticker     time source for expiry
     * @param maxEntries most clients remembered at once
     * @return a new scheduler
     */
    public static StickyScheduler sticky(Scheduler fallback, Duration ttl, Ticker ticker, int maxEntries) {
        return new StickyScheduler(fallback, ttl, ticker, maxEntries);
    }

    /**
     * Maglev consistent hashing, falling back to round robin for requests without a key.
     *
     * @return a new scheduler
     */
    public static Scheduler maglev() {
        return new MaglevScheduler(roundRobin());
    }

    /**
     * Weighted rendezvous hashing, falling back to round robin for requests without a key.
     *
     * @return a new scheduler
     */
    public static Scheduler rendezvous() {
        return new RendezvousScheduler(roundRobin());
    }
}
