package dev.portico.upstream.scheduler;

import java.nio.charset.StandardCharsets;

/** Stable 64-bit hashing (FNV-1a folded through the MurmurHash3 finalizer). */
final class Hashing {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private Hashing() {
    }

    /** Hashes bytes with a seed; equal inputs give equal outputs on every JVM. */
    static long hash64(byte[] bytes, long seed) {
        long h = FNV_OFFSET ^ mix(seed);
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= FNV_PRIME;
        }
        return mix(h ^ bytes.length);
    }

    /** Hashes a string's UTF-8 bytes with a seed. */
    static long hash64(String text, long seed) {
        return hash64(text.getBytes(StandardCharsets.UTF_8), seed);
    }

    /** MurmurHash3's fmix64: full avalanche of a 64-bit value. */
    static long mix(long value) {
        long k = value;
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
