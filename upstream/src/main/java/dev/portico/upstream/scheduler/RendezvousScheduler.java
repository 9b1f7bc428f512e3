package dev.portico.upstream.scheduler;

import dev.portico.upstream.Backend;

import java.util.List;
import java.util.Objects;

/**
 * Weighted rendezvous (highest random weight) hashing ({@code rendezvous}): every backend scores
 * the key as {@code -weight / ln(u)}, with {@code u} in (0,1) drawn from the hash of key and
 * backend name, and the highest score wins. Removing a backend moves only the keys it owned;
 * adding one moves only the keys it now wins. O(n) per pick, no table; suits small pools and
 * places where exact minimal disruption matters (file placement). Requests without a hash key or
 * client IP go to the fallback scheduler.
 */
final class RendezvousScheduler implements Scheduler {

    private static final long NAME_SEED = 0x52656e64657a766fL;
    private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

    private final Scheduler fallback;
    private final SnapshotCache<long[]> nameHashes = new SnapshotCache<>(RendezvousScheduler::nameHashes);

    RendezvousScheduler(Scheduler fallback) {
        this.fallback = Objects.requireNonNull(fallback, "fallback");
    }

    @Override
    public Backend pick(List<Backend> eligible, SelectionContext ctx) {
        Candidates.require(eligible);
        if (!ctx.hasAffinityKey()) {
            return fallback.pick(eligible, ctx);
        }
        long key = ctx.affinityHash();
        long[] names = nameHashes.get(eligible);
        int best = 0;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < names.length; i++) {
            double score = score(key, names[i], eligible.get(i).weight());
            if (score > bestScore) {
                best = i;
                bestScore = score;
            }
        }
        return eligible.get(best);
    }

    static double score(long keyHash, long nameHash, int weight) {
        long h = Hashing.mix(keyHash ^ nameHash);
        double u = ((h >>> 11) + 0.5) * TWO_POW_MINUS_53;
        return -weight / Math.log(u);
    }

    private static long[] nameHashes(List<Backend> backends) {
        long[] hashes = new long[backends.size()];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = Hashing.hash64(backends.get(i).name(), NAME_SEED);
        }
        return hashes;
    }

    @Override
    public String name() {
        return "rendezvous";
    }
}
