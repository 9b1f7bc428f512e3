package dev.portico.testing.netem;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What one direction of an emulated link does to the frames that cross it, in this order: random
 * loss and bursty loss (Gilbert–Elliott, whose chain moves on every frame), then a rate limit with
 * a drop-tail queue, then a one-way delay, with a share of the frames held back a little longer
 * (reordering). Every
 * setting is off by default ({@link #CLEAN}: frames pass as fast as the emulator forwards them).
 *
 * <p>As text (the emulator's command line), comma-separated {@code key=value} items, for example
 * {@code delay=50ms,rate=50mbit,queue=100ms,loss=1%}:
 * <ul>
 *   <li>{@code delay=50ms}: one-way delay ({@code ns}, {@code us}, {@code ms} or {@code s});
 *   <li>{@code loss=1%} (or {@code 0.01}): each frame lost with this probability;
 *   <li>{@code burst=3%:4}: Gilbert–Elliott loss with a mean loss of 3% in bursts of 4 frames on
 *       average (every frame lost in the bad state, none in the good one);
 *   <li>{@code ge=P:R[:LOSS_BAD[:LOSS_GOOD]]}: the Gilbert–Elliott chain itself: P the chance to go
 *       from good to bad after a frame, R from bad to good, and the loss probability in each state
 *       (defaults 1 and 0);
 *   <li>{@code rate=50mbit} ({@code bit}, {@code kbit}, {@code mbit}, {@code gbit}; decimal):
 *       frames leave one after the other, each taking its length in bits divided by the rate,
 *       Ethernet header included, as netem counts;
 *   <li>{@code queue=200000} bytes, or {@code queue=100ms} of the rate (the default): frames that
 *       would wait longer than this for the link are dropped (drop-tail);
 *   <li>{@code reorder=1%:5ms}: this share of the frames is held back this much longer, so that the
 *       frames behind it overtake it;
 *   <li>{@code seed=N}: the random generator's seed (a random one by default).
 * </ul>
 * {@code clean} (or an empty text) is a link without any of these.
 */
public record LinkSpec(long delayNanos, double loss, GilbertElliott burst, long rateBitsPerSecond,
                       long queueBytes, long queueNanos, double reorder, long reorderNanos, long seed) {

    /** A link that only forwards. */
    public static final LinkSpec CLEAN = new LinkSpec(0, 0, null, 0, 0, 100_000_000L, 0, 0, 0);

    /** The queue never holds less than this, so that a slow rate still takes a few full frames. */
    public static final long MIN_QUEUE_BYTES = 16 * 1024;

    /**
     * A two-state Markov chain of loss: after each frame the chain moves from good to bad with
     * probability {@code p}, from bad to good with {@code r}; a frame is lost with
     * {@code lossInBad} in the bad state and {@code lossInGood} in the good one.
     */
    public record GilbertElliott(double p, double r, double lossInBad, double lossInGood) {
        public GilbertElliott {
            probability("ge p", p);
            probability("ge r", r);
            probability("ge loss in bad", lossInBad);
            probability("ge loss in good", lossInGood);
            if (r == 0) {
                throw new IllegalArgumentException("ge r must be above 0, or the link stays bad forever");
            }
        }

        /** Bursts of {@code meanBurst} frames on average, {@code meanLoss} of the frames lost overall. */
        public static GilbertElliott ofMeanLoss(double meanLoss, double meanBurst) {
            if (!(meanLoss > 0 && meanLoss < 1)) {
                throw new IllegalArgumentException("burst loss must be between 0 and 100%, not " + meanLoss);
            }
            if (!(meanBurst >= 1)) {
                throw new IllegalArgumentException("mean burst length must be at least 1 frame, not " + meanBurst);
            }
            double r = 1 / meanBurst;
            return new GilbertElliott(meanLoss * r / (1 - meanLoss), r, 1, 0);
        }

        /** The long-run share of frames lost. */
        public double meanLoss() {
            return (p * lossInBad + r * lossInGood) / (p + r);
        }
    }

    public LinkSpec {
        if (delayNanos < 0 || rateBitsPerSecond < 0 || queueBytes < 0 || queueNanos < 0 || reorderNanos < 0) {
            throw new IllegalArgumentException("negative delay, rate or queue");
        }
        probability("loss", loss);
        probability("reorder", reorder);
    }

    private static void probability(String what, double v) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException(what + " must be between 0 and 1 (0% and 100%), not " + v);
        }
    }

    public LinkSpec withDelay(Duration oneWay) {
        return new LinkSpec(oneWay.toNanos(), loss, burst, rateBitsPerSecond, queueBytes, queueNanos, reorder, reorderNanos, seed);
    }

    public LinkSpec withLoss(double probability) {
        return new LinkSpec(delayNanos, probability, burst, rateBitsPerSecond, queueBytes, queueNanos, reorder, reorderNanos, seed);
    }

    public LinkSpec withBurstLoss(GilbertElliott chain) {
        return new LinkSpec(delayNanos, loss, chain, rateBitsPerSecond, queueBytes, queueNanos, reorder, reorderNanos, seed);
    }

    public LinkSpec withRate(long bitsPerSecond) {
        return new LinkSpec(delayNanos, loss, burst, bitsPerSecond, queueBytes, queueNanos, reorder, reorderNanos, seed);
    }

    /** A queue of this many bytes. */
    public LinkSpec withQueueBytes(long bytes) {
        return new LinkSpec(delayNanos, loss, burst, rateBitsPerSecond, bytes, 0, reorder, reorderNanos, seed);
    }

    /** A queue that holds this long of the rate. */
    public LinkSpec withQueueTime(Duration time) {
        return new LinkSpec(delayNanos, loss, burst, rateBitsPerSecond, 0, time.toNanos(), reorder, reorderNanos, seed);
    }

    public LinkSpec withReorder(double probability, Duration extra) {
        return new LinkSpec(delayNanos, loss, burst, rateBitsPerSecond, queueBytes, queueNanos, probability, extra.toNanos(), seed);
    }

    public LinkSpec withSeed(long newSeed) {
        return new LinkSpec(delayNanos, loss, burst, rateBitsPerSecond, queueBytes, queueNanos, reorder, reorderNanos, newSeed);
    }

    /** The queue's limit in bytes (0 without a rate limit, where nothing queues). */
    public long effectiveQueueBytes() {
        if (rateBitsPerSecond == 0) {
            return 0;
        }
        long bytes = queueBytes > 0 ? queueBytes : (long) (rateBitsPerSecond / 8.0 * queueNanos / 1e9);
        return Math.max(bytes, MIN_QUEUE_BYTES);
    }

    /** Reads the text form described above. */
    public static LinkSpec parse(String text) {
        LinkSpec s = CLEAN;
        String t = text.strip();
        if (t.isEmpty() || t.equals("clean")) {
            return s;
        }
        for (String item : t.split(",")) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("link setting '" + item + "' is not key=value");
            }
            String key = item.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            String value = item.substring(eq + 1).strip().toLowerCase(Locale.ROOT);
            try {
                s = switch (key) {
                    case "delay" -> s.withDelay(Duration.ofNanos(nanos(value)));
                    case "loss" -> s.withLoss(fraction(value));
                    case "burst" -> {
                        String[] p = value.split(":");
                        if (p.length != 2) {
                            throw new IllegalArgumentException("is not LOSS:MEAN_BURST, e.g. 3%:4");
                        }
                        yield s.withBurstLoss(GilbertElliott.ofMeanLoss(fraction(p[0]), Double.parseDouble(p[1])));
                    }
                    case "ge" -> {
                        String[] p = value.split(":");
                        if (p.length < 2 || p.length > 4) {
                            throw new IllegalArgumentException("is not P:R[:LOSS_BAD[:LOSS_GOOD]]");
                        }
                        yield s.withBurstLoss(new GilbertElliott(fraction(p[0]), fraction(p[1]),
                                p.length > 2 ? fraction(p[2]) : 1, p.length > 3 ? fraction(p[3]) : 0));
                    }
                    case "rate" -> s.withRate(rate(value));
                    case "queue" -> Character.isDigit(value.charAt(value.length() - 1))
                            ? s.withQueueBytes(Long.parseLong(value))
                            : s.withQueueTime(Duration.ofNanos(nanos(value)));
                    case "reorder" -> {
                        String[] p = value.split(":");
                        if (p.length != 2) {
                            throw new IllegalArgumentException("is not SHARE:EXTRA_DELAY, e.g. 1%:5ms");
                        }
                        yield s.withReorder(fraction(p[0]), Duration.ofNanos(nanos(p[1])));
                    }
                    case "seed" -> s.withSeed(Long.parseLong(value));
                    default -> throw new IllegalArgumentException("is unknown (delay, loss, burst, ge, rate, queue, reorder, seed)");
                };
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("link setting '" + item.strip() + "': " + e.getMessage(), e);
            }
        }
        return s;
    }

    private static double fraction(String v) {
        if (v.endsWith("%")) {
            return Double.parseDouble(v.substring(0, v.length() - 1)) / 100;
        }
        return Double.parseDouble(v);
    }

    private static long nanos(String v) {
        String[][] units = {{"ns", "1"}, {"us", "1000"}, {"ms", "1000000"}, {"s", "1000000000"}};
        for (String[] u : units) {
            if (v.endsWith(u[0])) {
                double n = Double.parseDouble(v.substring(0, v.length() - u[0].length()));
                return Math.round(n * Long.parseLong(u[1]));
            }
        }
        throw new IllegalArgumentException("needs a unit: ns, us, ms or s");
    }

    private static long rate(String v) {
        String[][] units = {{"gbit", "1000000000"}, {"mbit", "1000000"}, {"kbit", "1000"}, {"bit", "1"}};
        for (String[] u : units) {
            if (v.endsWith(u[0])) {
                double n = Double.parseDouble(v.substring(0, v.length() - u[0].length()));
                return Math.round(n * Long.parseLong(u[1]));
            }
        }
        if (v.equals("0") || v.equals("none")) {
            return 0;
        }
        throw new IllegalArgumentException("needs a unit: bit, kbit, mbit or gbit");
    }

    /** The text form, which {@link #parse} reads back to an equal spec. */
    @Override
    public String toString() {
        List<String> items = new ArrayList<>();
        if (delayNanos > 0) {
            items.add("delay=" + delayNanos + "ns");
        }
        if (loss > 0) {
            items.add("loss=" + loss);
        }
        if (burst != null) {
            items.add("ge=" + burst.p() + ":" + burst.r() + ":" + burst.lossInBad() + ":" + burst.lossInGood());
        }
        if (rateBitsPerSecond > 0) {
            items.add("rate=" + rateBitsPerSecond + "bit");
            items.add(queueBytes > 0 ? "queue=" + queueBytes : "queue=" + queueNanos + "ns");
        }
        if (reorder > 0) {
            items.add("reorder=" + reorder + ":" + reorderNanos + "ns");
        }
        if (seed != 0) {
            items.add("seed=" + seed);
        }
        return items.isEmpty() ? "clean" : String.join(",", items);
    }
}
