package dev.portico.dns;

import dev.portico.dns.LrrrConfig.Side;
import org.xbill.DNS.Name;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * 3nsd's LRRR: answers a public name with a CNAME to the side (left or right site) whose DNS server
 * the asking resolver reaches faster. Each server measures only its own round trip: it answers with
 * a CNAME to a made-up name in its own zone whose first label carries a time stamp, and when the
 * resolver comes back for that name the time elapsed is the round trip. The label then carries the
 * measured time to the other side, which measures its own and sends the resolver to the nearer one.
 *
 * <p>A measuring label is {@code PREFIX-IP-TS0-TSL-TSR} (3nsd's format): {@code IP} is the resolver's
 * IPv4 address as an unsigned 32-bit number (0 for IPv6), {@code TS0} a base time in seconds chosen
 * by the first server ({@code now - 300}), and {@code TSL}/{@code TSR} the left and right values in
 * milliseconds: 0 for unknown, below {@value #STAMP_FLOOR} a measured round trip, from
 * {@value #STAMP_FLOOR} up a start stamp counted from {@code TS0}. A server only ever subtracts its own
 * stamps from its own clock, so the two sites need no clock sync. Measuring CNAMEs have TTL 0.
 *
 * <p>A first query for {@code ga.i.example.test} that reaches the left server, with nothing known
 * about the resolver, goes:
 * <pre>
 * ga.i  CNAME lr-IP-T-STAMP-0.ga.l   (left stamps)
 * lr-IP-T-STAMP-0.ga.l  CNAME lr-IP-T-166-0.ga.r      (left measured 166 ms, right to measure)
 * lr-IP-T-166-0.ga.r    CNAME lr-IP-T-166-STAMP.ga.r  (right stamps)
 * lr-IP-T-166-STAMP.ga.r CNAME ga.l                   (right measured 253 ms: left is nearer)
 * </pre>
 * Both servers remember the times per resolver address (and per the address in the label, since a
 * resolver may ask from several egress addresses) for {@code rtt_ttl}; later queries for the public
 * name get the final CNAME at once, with {@code answer_ttl}.
 *
 * <p>Where this differs from 3nsd:
 * <ul>
 *   <li><b>The quirk, fixed:</b> with both times remembered, 3nsd's code answered a public name with
 *       the answering server's <em>own</em> side, without comparing them (its white paper implies
 *       the nearer side). Here the times are compared and the nearer side is answered; a tie goes to
 *       the answering server's side.</li>
 *   <li>A server starts by measuring itself, rather than choosing by the parity of {@code TS0}
 *       whether to hand the resolver to the other side first; the chain is two CNAMEs shorter. The
 *       paper's optional "debug" hop is not made.</li>
 *   <li>A measured time is at least 1 ms, so that it cannot be read as "unknown" (0).</li>
 *   <li>IPv6 resolvers are measured too (keyed by their address; the label's IP is 0).</li>
 *   <li>The two clocks may be any distance apart: 3nsd's stamps went wrong when the second server's
 *       clock was more than 300 s behind the first's; here a server whose clock cannot stamp from
 *       the label's base time puts a base of its own in the label.</li>
 *   <li>The table of resolvers is bounded ({@code max_resolvers}); a label that cannot be read
 *       starts a new measurement.</li>
 * </ul>
 *
 * <p>Label values come from the resolver and are not authenticated (as in 3nsd): a client can only
 * steer which of the two valid sides it, or the address it names, is sent to.
 *
 * <p>Thread-safe; the table survives zone reloads (it is replaced only when the {@code lrrr}
 * settings change).
 */
final class Lrrr {

    /** Values from this many milliseconds up are start stamps; below it, measured times. */
    static final long STAMP_FLOOR = 300_000;
    /** How far back the first server sets the base time, in seconds (3nsd's 300). */
    static final long BASE_BACK = 300;
    /** The oldest base time accepted in a label. */
    static final long MAX_LABEL_AGE_SECONDS = 86_400;

    /**
     * What to answer for an LRRR name.
     *
     * @param target the CNAME target
     * @param ttl    the CNAME's TTL
     * @param chase  whether the target is the final side name (then answered from our data when we
     *               hold it), as opposed to a measuring name that the resolver must come back for
     */
    record Step(Name target, long ttl, boolean chase) {
    }

    /** A resolver's known times; 0 = unknown. Immutable, replaced on update. */
    record Rtts(long expiresAt, long left, long right) {
        long of(Side s) {
            return s == Side.LEFT ? left : right;
        }
    }

    private final LrrrConfig config;
    private final Clock clock;
    private final Side me;
    private final Name suffixName;
    private final Name ownZoneName;
    private final String ownZoneDot;
    private final String suffixDot;
    private final Set<String> publicNames;
    private final Map<InetAddress, Rtts> rtts = new ConcurrentHashMap<>();
    private volatile long nextPurge;

    /**
     * @param config the settings
     * @param clock  the time source for stamps and for expiring remembered times
     */
    Lrrr(LrrrConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.me = config.side();
        this.suffixName = DnsNames.absolute(config.suffix());
        this.ownZoneName = DnsNames.absolute(config.zone(me));
        this.ownZoneDot = "." + config.zone(me);
        this.suffixDot = "." + config.suffix();
        this.publicNames = Set.copyOf(new HashSet<>(config.names()));
    }

    LrrrConfig config() {
        return config;
    }

    /**
     * The CNAME for {@code qname}, or null when it is not one of our LRRR names (a public name, or a
     * measuring name in our side's zone).
     *
     * @param qname    the question name
     * @param resolver the address the query came from; null answers nothing
     */
    Step answer(Name qname, InetAddress resolver) {
        if (resolver == null || !(qname.subdomain(suffixName) || qname.subdomain(ownZoneName))) {
            return null;
        }
        String name = qname.toString(true).toLowerCase(Locale.ROOT);
        long now = clock.millis();
        if (publicNames.contains(name)) {
            return publicQuery(name.substring(0, name.length() - suffixDot.length()), resolver, now);
        }
        if (!name.startsWith(config.prefix() + "-") || !name.endsWith(ownZoneDot)) {
            return null;
        }
        int dot = name.indexOf('.');
        int hostEnd = name.length() - ownZoneDot.length();
        if (dot + 1 >= hostEnd || !publicNames.contains(name.substring(dot + 1, hostEnd) + suffixDot)) {
            return null;
        }
        String host = name.substring(dot + 1, hostEnd);
        long[] label = parseLabel(name.substring(0, dot));
        return label == null ? publicQuery(host, resolver, now) : measuring(host, resolver, label, now);
    }

    /** A query for the public name: the nearer side when both times are known, else the next measurement. */
    private Step publicQuery(String host, InetAddress resolver, long now) {
        Rtts known = known(resolver, now);
        long mine = known == null ? 0 : known.of(me);
        long theirs = known == null ? 0 : known.of(me.other());
        if (mine > 0 && theirs > 0) {
            long left = Math.max(0, (known.expiresAt() - now) / 1000);
            return new Step(sideName(host, nearer(mine, theirs)), Math.min(config.answerTtl(), left), true);
        }
        long ts0 = Math.floorDiv(now, 1000) - BASE_BACK;
        long ip = ipLabel(resolver);
        if (mine == 0) {
            return measure(host, me, ip, ts0, stamp(now, ts0), theirs);
        }
        return measure(host, me.other(), ip, ts0, mine, 0);
    }

    /** A query for a measuring name in our zone. */
    private Step measuring(String host, InetAddress resolver, long[] label, long now) {
        long ts0 = label[1];
        long mineValue = label[me == Side.LEFT ? 2 : 3];
        long theirsValue = label[me == Side.LEFT ? 3 : 2];
        Rtts known = known(resolver, now);
        long theirs = isRtt(theirsValue) ? theirsValue : known == null ? 0 : known.of(me.other());
        long mine;
        if (mineValue >= STAMP_FLOOR) {
            long elapsed = now - ts0 * 1000 - mineValue;
            mine = elapsed >= 0 && elapsed < STAMP_FLOOR ? Math.max(1, elapsed) : 0;
        } else if (isRtt(mineValue)) {
            mine = mineValue;
        } else {
            mine = known == null ? 0 : known.of(me);
        }
        if (mine == 0) {
            long base = usableBase(ts0, now) ? ts0 : Math.floorDiv(now, 1000) - BASE_BACK;
            return measure(host, me, label[0], base, stamp(now, base), theirs);
        }
        remember(resolver, now, mine, theirs);
        InetAddress labelled = labelAddress(label[0]);
        if (labelled != null && !labelled.equals(resolver)) {
            remember(labelled, now, mine, theirs);
        }
        if (theirs == 0) {
            return measure(host, me.other(), label[0], ts0, mine, 0);
        }
        return new Step(sideName(host, nearer(mine, theirs)), 0, true);
    }

    /** The CNAME to a measuring name in {@code zoneSide}'s zone, with our value and theirs. */
    private Step measure(String host, Side zoneSide, long ip, long ts0, long mineValue, long theirsValue) {
        long left = me == Side.LEFT ? mineValue : theirsValue;
        long right = me == Side.LEFT ? theirsValue : mineValue;
        String label = config.prefix() + "-" + ip + "-" + ts0 + "-" + left + "-" + right;
        return new Step(DnsNames.absolute(label + "." + host + "." + config.zone(zoneSide)), 0, false);
    }

    /** The nearer side; a tie goes to ours. */
    private Side nearer(long mine, long theirs) {
        return theirs < mine ? me.other() : me;
    }

    private Name sideName(String host, Side side) {
        return DnsNames.absolute(host + "." + config.zone(side));
    }

    /**
     * Whether our stamps can count from this base time: it must be at least {@value #STAMP_FLOOR} ms
     * behind our clock (else a stamp would read as a time) and at most a day old. When the other
     * server's clock is behind ours, or far ahead, we start from a base of our own: only the side
     * that stamps ever reads the base, so the chain may change it on the way.
     */
    private static boolean usableBase(long ts0, long now) {
        return ts0 * 1000 <= now - STAMP_FLOOR && ts0 >= Math.floorDiv(now, 1000) - MAX_LABEL_AGE_SECONDS;
    }

    private static long stamp(long now, long ts0) {
        return now - ts0 * 1000;
    }

    private static boolean isRtt(long value) {
        return value > 0 && value < STAMP_FLOOR;
    }

    /** {ip, ts0, left, right} from {@code PREFIX-IP-TS0-TSL-TSR}, or null when it is not that. */
    private long[] parseLabel(String label) {
        String[] parts = label.split("-", -1);
        if (parts.length != 5 || !parts[0].equals(config.prefix())) {
            return null;
        }
        long[] out = new long[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i + 1];
            if (p.isEmpty() || p.length() > 12 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            out[i] = Long.parseLong(p);
        }
        return out[0] > 0xffff_ffffL ? null : out;
    }

    private static long ipLabel(InetAddress resolver) {
        if (resolver instanceof Inet4Address) {
            byte[] b = resolver.getAddress();
            return (b[0] & 0xffL) << 24 | (b[1] & 0xffL) << 16 | (b[2] & 0xffL) << 8 | b[3] & 0xffL;
        }
        return 0;
    }

    private static InetAddress labelAddress(long ip) {
        if (ip == 0) {
            return null;
        }
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip});
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** The resolver's times, or null when none are remembered or they expired. */
    Rtts known(InetAddress resolver, long now) {
        Rtts r = rtts.get(resolver);
        return r == null || r.expiresAt() <= now ? null : r;
    }

    /** Stores our time and theirs (0 keeps what was known); the entry lives {@code rtt_ttl} from its creation. */
    private void remember(InetAddress resolver, long now, long mine, long theirs) {
        long left = me == Side.LEFT ? mine : theirs;
        long right = me == Side.LEFT ? theirs : mine;
        if (!rtts.containsKey(resolver) && rtts.size() >= config.maxResolvers()) {
            purge(now);
            if (rtts.size() >= config.maxResolvers()) {
                return;
            }
        }
        rtts.compute(resolver, (k, old) -> old == null || old.expiresAt() <= now
                ? new Rtts(now + config.rttTtl().toMillis(), left, right)
                : new Rtts(old.expiresAt(), left != 0 ? left : old.left(), right != 0 ? right : old.right()));
    }

    /** Drops expired entries, at most once a second. */
    private void purge(long now) {
        if (now < nextPurge) {
            return;
        }
        nextPurge = now + 1000;
        rtts.values().removeIf(r -> r.expiresAt() <= now);
    }

    /** How many resolvers are remembered (expired ones included until purged). */
    int size() {
        return rtts.size();
    }
}
