package dev.portico.dns;

import dev.portico.core.net.Cidr;
import io.netty.buffer.ByteBuf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Clock;
import java.util.List;

/**
 * Response rate limiting: decides, for each UDP answer about to be sent, whether it goes out, is
 * dropped, or goes out truncated ("slipped").
 *
 * <p>The answer's bucket is chosen by the client's prefix and by what the answer is, read from
 * the response bytes themselves ({@link RrlConfig.Kind}): the question name and type for positive
 * answers, the zone (the owner of the authority section's SOA) for NXDOMAIN and NODATA, so that
 * random names under one zone share one bucket, the delegated name for referrals, the zone or the
 * root for errors. Each bucket gets {@code ratelimit} answers of credit every clock second.
 *
 * <p>The table is {@code size} longs, each a whole bucket (a 16-bit tag of its key, the second it
 * was last filled, the credit left, and a count of limited answers for the slip), updated with
 * compare-and-set: no lock, no object per answer. Keys are hashed with a per-instance random seed,
 * so a client cannot choose answers that collide. Two keys that meet in one bucket take it over
 * from each other, starting it full, as NSD does.
 *
 * <p>The longs are kept in pages of 4 KiB, each allocated the first time one of its buckets is
 * used: the default table is 8 MB, which a Java array would take (zeroed, so resident) at start,
 * while a server with few clients uses a small part of it. A flood from many sources fills them
 * all, as the array would have been from the start.
 */
final class Rrl {

    /** What becomes of an answer. */
    enum Action {
        /** Send it as it is. */
        SEND,
        /** Send nothing. */
        DROP,
        /** Send it truncated: TC set, the question only (done by {@link #check} in the buffer). */
        SLIP
    }

    private static final VarHandle BUCKETS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle PAGES = MethodHandles.arrayElementVarHandle(long[][].class);
    /** Buckets in a page: 512 longs, 4 KiB. */
    private static final int PAGE_SHIFT = 9;
    private static final int TYPE_NS = 2;
    private static final int TYPE_ANY = 255;
    private static final int RCODE_NXDOMAIN = 3;
    private static final int FLAG_AA = 0x0400;
    private static final int FLAG_TC = 0x0200;
    private static final int HEADER = 12;
    /** Compression pointers followed in one name at most. */
    private static final int MAX_POINTERS = 16;

    private final RrlConfig config;
    private final Clock clock;
    private final RrlMeters meters;
    private final long seed;
    /** Buckets in the table ({@link RrlConfig#size()}). */
    private final int size;
    /** The table's pages, each null until one of its buckets is first used. */
    private final long[][] pages;
    private final long v4Mask;
    private final long v6Mask;
    private final Ranges exempt;
    private final Ranges whitelist;
    private final int whitelistKinds;

    /**
     * @param config the settings; must be {@linkplain RrlConfig#enabled() enabled}
     * @param clock  whose seconds the credit is given in
     * @param meters where limited, exempt and whitelisted answers are counted
     * @param seed   the hash seed (random in production, fixed in tests)
     */
    Rrl(RrlConfig config, Clock clock, RrlMeters meters, long seed) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("rate limiting is off (ratelimit 0)");
        }
        this.config = config;
        this.clock = clock;
        this.meters = meters;
        this.seed = seed;
        this.size = config.size();
        this.pages = new long[(size + (1 << PAGE_SHIFT) - 1) >>> PAGE_SHIFT][];
        this.v4Mask = config.ipv4Prefix() == 0 ? 0 : 0xFFFF_FFFFL << (32 - config.ipv4Prefix()) & 0xFFFF_FFFFL;
        this.v6Mask = config.ipv6Prefix() == 0 ? 0 : -1L << (64 - config.ipv6Prefix());
        this.exempt = new Ranges(config.exempt());
        this.whitelist = new Ranges(config.whitelist());
        int kinds = 0;
        for (RrlConfig.Kind k : config.whitelistKinds()) {
            kinds |= 1 << k.ordinal();
        }
        this.whitelistKinds = kinds;
    }

    /** The settings. */
    RrlConfig config() {
        return config;
    }

    /**
     * The clock's second now, for {@link #check(byte[], int, ByteBuf, long)}: a loop answering a
     * batch of queries reads the clock once for all of them.
     */
    long second() {
        return clock.millis() / 1000;
    }

    /**
     * Counts an answer against its bucket at the clock's current second; a slipped answer is cut
     * in place.
     *
     * @see #check(byte[], int, ByteBuf, long)
     */
    Action check(byte[] address, int length, ByteBuf response) {
        return check(address, length, response, second());
    }

    /**
     * Counts an answer against its bucket; a slipped answer is cut in place.
     *
     * @param address  the client's address bytes (IPv4-mapped IPv6 is taken as IPv4)
     * @param length   4 or 16; anything else is never limited
     * @param response the answer, from its reader index to its writer index
     * @param second   the clock's second, from {@link #second()}
     * @return what to do with the answer
     */
    Action check(byte[] address, int length, ByteBuf response, long second) {
        boolean v6;
        long hi;
        long lo;
        if (length == 4) {
            v6 = false;
            hi = (address[0] & 0xFFL) << 24 | (address[1] & 0xFFL) << 16 | (address[2] & 0xFFL) << 8 | address[3] & 0xFFL;
            lo = 0;
        } else if (length == 16 && mapped(address)) {
            v6 = false;
            hi = (address[12] & 0xFFL) << 24 | (address[13] & 0xFFL) << 16 | (address[14] & 0xFFL) << 8 | address[15] & 0xFFL;
            lo = 0;
        } else if (length == 16) {
            v6 = true;
            hi = readLong(address, 0);
            lo = readLong(address, 8);
        } else {
            return Action.SEND;
        }
        if (exempt.contains(v6, hi, lo)) {
            meters.exempt();
            return Action.SEND;
        }
        int start = response.readerIndex();
        int end = response.writerIndex();
        if (end - start < HEADER) {
            return Action.SEND;
        }
        long token = token(response, start, end);
        int kind = (int) (token >>> 56);
        boolean white = (whitelistKinds & 1 << kind) != 0 || whitelist.contains(v6, hi, lo);
        int limit = white ? config.whitelistRatelimit() : config.ratelimit();
        if (limit == 0) {
            meters.whitelisted();
            return Action.SEND;
        }
        long key = mix(seed ^ (v6 ? hi & v6Mask : hi & v4Mask));
        // Whitelisted and other clients of one prefix count apart: their limits differ.
        key = mix(key ^ (v6 ? 1L << 32 : 0) ^ (white ? 1L << 33 : 0) ^ token);
        Action a = take(key, limit, second);
        switch (a) {
            case SEND -> {
                if (white) {
                    meters.whitelisted();
                }
            }
            case DROP -> meters.dropped();
            case SLIP -> {
                meters.slipped();
                truncate(response);
            }
        }
        return a;
    }

    /**
     * Takes one answer of credit from the bucket of {@code key}.
     *
     * <p>A bucket's long: tag (16 bits) | second (24 bits) | credit left (20 bits) | limited
     * answers modulo slip (4 bits).
     */
    private Action take(long key, int limit, long second) {
        int index = (int) (((key >>> 32) * size) >>> 32);
        long[] buckets = page(index >>> PAGE_SHIFT);
        index &= (1 << PAGE_SHIFT) - 1;
        long tag = key & 0xFFFF;
        long now = second & 0xFF_FFFF;
        int slip = config.slip();
        while (true) {
            long old = (long) BUCKETS.getVolatile(buckets, index);
            long credit;
            long limited;
            if (old == 0 || old >>> 48 != tag || (old >>> 24 & 0xFF_FFFF) != now) {
                credit = limit;
                limited = old >>> 48 == tag ? old & 0xF : 0;
            } else {
                credit = old >>> 4 & 0xF_FFFF;
                limited = old & 0xF;
            }
            Action a;
            if (credit > 0) {
                credit--;
                a = Action.SEND;
            } else if (slip == 0) {
                a = Action.DROP;
            } else {
                limited = (limited + 1) % slip;
                a = limited == 0 ? Action.SLIP : Action.DROP;
            }
            long next = tag << 48 | now << 24 | credit << 4 | limited;
            if (next == old || BUCKETS.compareAndSet(buckets, index, old, next)) {
                return a;
            }
        }
    }

    /** The page {@code i} of the table, allocated now when it is the first use of one of its buckets. */
    private long[] page(int i) {
        long[] page = (long[]) PAGES.getAcquire(pages, i);
        if (page == null) {
            long[] fresh = new long[1 << PAGE_SHIFT];
            page = (long[]) PAGES.compareAndExchangeRelease(pages, i, (long[]) null, fresh);
            if (page == null) {
                page = fresh;
            }
        }
        return page;
    }

    /** How many of the table's pages are allocated (for tests). */
    int pagesInUse() {
        int n = 0;
        for (int i = 0; i < pages.length; i++) {
            if (PAGES.getAcquire(pages, i) != null) {
                n++;
            }
        }
        return n;
    }

    /**
     * What the answer is and what it is about, hashed: the kind in the top byte, a hash of the
     * name (and for positive answers the type) below.
     */
    private long token(ByteBuf b, int start, int end) {
        int flags = b.getUnsignedShort(start + 2);
        int rcode = flags & 0xF;
        int qd = b.getUnsignedShort(start + 4);
        int an = b.getUnsignedShort(start + 6);
        int ns = b.getUnsignedShort(start + 8);
        int at = start + HEADER;
        long qname = 0;
        int qtype = -1;
        if (qd > 0) {
            qname = nameHash(b, start, end, at);
            at = skipName(b, at, end);
            if (at < 0 || at + 4 > end) {
                return kind(RrlConfig.Kind.ERROR);
            }
            qtype = b.getUnsignedShort(at);
            at += 4;
        }
        if (rcode == 0 && an > 0) {
            return qtype == TYPE_ANY ? kind(RrlConfig.Kind.ANY) ^ qname
                    : kind(RrlConfig.Kind.POSITIVE) ^ mix(qname ^ (long) qtype << 40) & 0x00FF_FFFF_FFFF_FFFFL;
        }
        for (int i = 0; i < an && at >= 0; i++) {
            at = skipRecord(b, at, end);
        }
        long owner = 0;
        int ownerType = -1;
        if (ns > 0 && at >= 0) {
            int afterName = skipName(b, at, end);
            if (afterName >= 0 && afterName + 2 <= end) {
                owner = nameHash(b, start, end, at);
                ownerType = b.getUnsignedShort(afterName);
            }
        }
        if (rcode == RCODE_NXDOMAIN) {
            return kind(RrlConfig.Kind.NXDOMAIN) ^ owner;
        }
        if (rcode != 0) {
            return kind(RrlConfig.Kind.ERROR) ^ owner;
        }
        if (ownerType == TYPE_NS && (flags & FLAG_AA) == 0) {
            return kind(RrlConfig.Kind.REFERRAL) ^ owner;
        }
        return kind(RrlConfig.Kind.NODATA) ^ owner;
    }

    /** The kind in the top byte of a token, a zero hash below. */
    private static long kind(RrlConfig.Kind k) {
        return (long) k.ordinal() << 56;
    }

    /**
     * A 56-bit hash of the name at {@code at}, lower-cased, compression pointers followed; what is
     * left of a malformed name is hashed as far as it reads.
     */
    private static long nameHash(ByteBuf b, int start, int end, int at) {
        long h = 0xcbf2_9ce4_8422_2325L;
        int pointers = 0;
        while (at < end) {
            int len = b.getUnsignedByte(at);
            if (len == 0) {
                break;
            }
            if ((len & 0xC0) == 0xC0) {
                if (at + 1 >= end || ++pointers > MAX_POINTERS) {
                    break;
                }
                at = start + ((len & 0x3F) << 8 | b.getUnsignedByte(at + 1));
                continue;
            }
            if ((len & 0xC0) != 0) {
                break;
            }
            h = (h ^ len) * 0x100_0000_01b3L;
            int last = Math.min(at + len, end - 1);
            for (int i = at + 1; i <= last; i++) {
                int c = b.getUnsignedByte(i);
                if (c >= 'A' && c <= 'Z') {
                    c += 'a' - 'A';
                }
                h = (h ^ c) * 0x100_0000_01b3L;
            }
            at += len + 1;
        }
        return mix(h) & 0x00FF_FFFF_FFFF_FFFFL;
    }

    /** Where the name at {@code at} ends, or -1 when it runs past {@code end} or is malformed. */
    private static int skipName(ByteBuf b, int at, int end) {
        while (at < end) {
            int len = b.getUnsignedByte(at);
            if (len == 0) {
                return at + 1;
            }
            if ((len & 0xC0) == 0xC0) {
                return at + 2 <= end ? at + 2 : -1;
            }
            if ((len & 0xC0) != 0) {
                return -1;
            }
            at += len + 1;
        }
        return -1;
    }

    /** Where the record at {@code at} ends, or -1. */
    private static int skipRecord(ByteBuf b, int at, int end) {
        int p = skipName(b, at, end);
        if (p < 0 || p + 10 > end) {
            return -1;
        }
        p += 10 + b.getUnsignedShort(p + 8);
        return p <= end ? p : -1;
    }

    /**
     * Cuts an answer to its header and question, with TC set: a resolver that gets it asks again
     * over TCP.
     */
    static void truncate(ByteBuf b) {
        int start = b.readerIndex();
        int end = b.writerIndex();
        int cut = start + HEADER;
        int qd = 0;
        if (b.getUnsignedShort(start + 4) > 0) {
            int p = skipName(b, cut, end);
            if (p >= 0 && p + 4 <= end) {
                cut = p + 4;
                qd = 1;
            }
        }
        b.setShort(start + 2, b.getUnsignedShort(start + 2) | FLAG_TC);
        b.setShort(start + 4, qd);
        b.setShort(start + 6, 0);
        b.setShort(start + 8, 0);
        b.setShort(start + 10, 0);
        b.writerIndex(cut);
    }

    /** Whether a 16-byte address is an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}). */
    private static boolean mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    private static long readLong(byte[] a, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | a[at + i] & 0xFFL;
        }
        return v;
    }

    /** A 64-bit finalizer (MurmurHash3's fmix64). */
    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51_afd7_ed55_8ccdL;
        h ^= h >>> 33;
        h *= 0xc4ce_b9fe_1a85_ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** Client ranges matched without objects: each a family, a network and a mask as two longs. */
    private static final class Ranges {
        private final boolean[] v6;
        private final long[] hi;
        private final long[] lo;
        private final long[] maskHi;
        private final long[] maskLo;

        Ranges(List<Cidr> ranges) {
            int n = ranges.size();
            v6 = new boolean[n];
            hi = new long[n];
            lo = new long[n];
            maskHi = new long[n];
            maskLo = new long[n];
            for (int i = 0; i < n; i++) {
                byte[] net = ranges.get(i).networkBytes();
                int prefix = ranges.get(i).prefixLength();
                if (net.length == 4) {
                    hi[i] = (net[0] & 0xFFL) << 24 | (net[1] & 0xFFL) << 16 | (net[2] & 0xFFL) << 8 | net[3] & 0xFFL;
                    maskHi[i] = prefix == 0 ? 0 : 0xFFFF_FFFFL << (32 - prefix) & 0xFFFF_FFFFL;
                } else {
                    v6[i] = true;
                    hi[i] = readLong(net, 0);
                    lo[i] = readLong(net, 8);
                    maskHi[i] = prefix == 0 ? 0 : prefix >= 64 ? -1L : -1L << (64 - prefix);
                    maskLo[i] = prefix <= 64 ? 0 : prefix == 128 ? -1L : -1L << (128 - prefix);
                }
            }
        }

        boolean contains(boolean family6, long h, long l) {
            for (int i = 0; i < v6.length; i++) {
                if (v6[i] == family6 && (h & maskHi[i]) == hi[i] && (l & maskLo[i]) == lo[i]) {
                    return true;
                }
            }
            return false;
        }
    }
}
