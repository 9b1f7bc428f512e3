package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Maglev consistent hashing ({@code maglev}, alias {@code hash}; Eisenbud et al., NSDI 2016, the
 * same algorithm as IPVS {@code mh}). Each backend, by the hash of its name, walks its own
 * permutation of a prime-sized lookup table and claims free slots in turn until the table is
 * full; a key maps to {@code table[hash(key) % size]}. Claims per turn are proportional to
 * weight, so heavier backends own more slots.
 *
 * <p>Lookups are O(1). Adding or removing a backend moves the keys of the changed backend and
 * only a small share of the others. The table is built once per snapshot. Requests without a
 * hash key or client IP go to the fallback scheduler.
 */
final class MaglevScheduler implements Scheduler {

    /** Smallest table size: a prime, 65537, as in the paper's evaluation. */
    static final int MIN_TABLE_SIZE = 65_537;
    private static final long OFFSET_SEED = 0x4d61676c65764f66L;
    private static final long SKIP_SEED = 0x4d61676c6576536bL;

    private final Scheduler fallback;
    private final SnapshotCache<Table> tables = new SnapshotCache<>(MaglevScheduler::build);

    MaglevScheduler(Scheduler fallback) {
        this.fallback = Objects.requireNonNull(fallback, "fallback");
    }

    @Override
    public Backend pick(List<Backend> eligible, SelectionContext ctx) {
        Candidates.require(eligible);
        if (!ctx.hasAffinityKey()) {
            return fallback.pick(eligible, ctx);
        }
        Table table = tables.get(eligible);
        int slot = (int) Long.remainderUnsigned(ctx.affinityHash(), table.slots.length);
        return eligible.get(table.slots[slot]);
    }

    @Override
    public String name() {
        return "maglev";
    }

    /** Lookup table: slot to index in the snapshot. */
    record Table(int[] slots) {
    }

    static Table build(List<Backend> backends) {
        int n = backends.size();
        int size = tableSize(n);
        long[] offset = new long[n];
        long[] skip = new long[n];
        int maxWeight = 1;
        for (int i = 0; i < n; i++) {
            Backend b = backends.get(i);
            offset[i] = Long.remainderUnsigned(Hashing.hash64(b.name(), OFFSET_SEED), size);
            skip[i] = Long.remainderUnsigned(Hashing.hash64(b.name(), SKIP_SEED), size - 1) + 1;
            maxWeight = Math.max(maxWeight, b.weight());
        }
        int[] slots = new int[size];
        Arrays.fill(slots, -1);
        long[] next = new long[n];
        long[] credit = new long[n];
        int filled = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                credit[i] += backends.get(i).weight();
                if (credit[i] < maxWeight) {
                    continue;
                }
                credit[i] -= maxWeight;
                int c = (int) ((offset[i] + next[i] * skip[i]) % size);
                while (slots[c] >= 0) {
                    next[i]++;
                    c = (int) ((offset[i] + next[i] * skip[i]) % size);
                }
                slots[c] = i;
                next[i]++;
                if (++filled == size) {
                    return new Table(slots);
                }
            }
        }
    }

    /** The smallest prime at least {@link #MIN_TABLE_SIZE} and at least 100 slots per backend. */
    static int tableSize(int backends) {
        long wanted = Math.max(MIN_TABLE_SIZE, 100L * backends);
        long candidate = wanted;
        while (!isPrime(candidate)) {
            candidate++;
        }
        return Math.toIntExact(candidate);
    }

    private static boolean isPrime(long value) {
        if (value % 2 == 0) {
            return value == 2;
        }
        for (long d = 3; d * d <= value; d += 2) {
            if (value % d == 0) {
                return false;
            }
        }
        return true;
    }
}
