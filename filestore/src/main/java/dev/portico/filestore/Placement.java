package dev.portico.filestore;

import io.netty.util.concurrent.FastThreadLocal;

import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * 3fsd's O(1) location of a file's copies, with its two bugs fixed. For the URL
 * {@code /<prefix>_<stage>/<path>}, the md5 of {@code /<path>} (the raw bytes as sent, not
 * percent-decoded, without the query) gives 32 hex digits; copy {@code i} takes the {@code m}
 * digits {@code [m*i, m*(i+1))}, where {@code m} is the number of hex digits that spans
 * {@code region}, as a point in {@code [0, region)}; its node is {@code point / (region / count)}
 * with float division, clamped to {@code count - 1} (3fsd divided integers and could index past the
 * end). A node that already holds an earlier copy passes the copy on to the next one, modulo
 * {@code count}. The caller picks the node list by the URL's stage (3fsd used the configured one).
 *
 * <p>White paper example: {@code /path/to/file} hashes to {@code b4a9...}; with region 256 and 10
 * nodes, {@code 0xb4 = 180 -> 180 / 25.6 = 7.03 -> node 7} and {@code 0xa9 = 169 -> 6.6 -> node 6}.
 */
public final class Placement {

    /** The regions allowed: others skew placement (with 100 and 10 nodes, 65% of first copies land on one). */
    public static final int[] REGIONS = {16, 256, 4096, 65536};

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /**
     * A fresh MD5 digest, never updated: each use works on a clone of it, which skips the provider
     * lookup of {@link MessageDigest#getInstance} (a read of the path costs one hash).
     */
    private static final MessageDigest MD5 = newMd5();

    private Placement() {
    }

    private static MessageDigest newMd5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no MD5", e);
        }
    }

    private static MessageDigest md5() {
        try {
            return (MessageDigest) MD5.clone();
        } catch (CloneNotSupportedException e) {
            return newMd5();
        }
    }

    /** Whether {@code region} is one of {@link #REGIONS}. */
    public static boolean validRegion(int region) {
        for (int r : REGIONS) {
            if (r == region) {
                return true;
            }
        }
        return false;
    }

    /** Hex digits per copy: the smallest {@code m} with {@code region <= 16^m}. */
    public static int digits(int region) {
        int m = 0;
        long span = 1;
        while (span < region) {
            span *= 16;
            m++;
        }
        return Math.max(m, 1);
    }

    /** How many copies the 32 hex digits of an md5 can place for a region: {@code 32 / m}. */
    public static int maxRedundancy(int region) {
        return 32 / digits(region);
    }

    /** The md5 of {@code bytes} as 32 lower-case hex digits. */
    public static String md5Hex(byte[] bytes) {
        byte[] d = md5().digest(bytes);
        char[] out = new char[32];
        for (int i = 0; i < 16; i++) {
            out[2 * i] = HEX[(d[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[d[i] & 0xf];
        }
        return new String(out);
    }

    /**
     * The indexes, in the stage's sorted node list, of the nodes holding each copy of a file.
     *
     * @param filePath   {@code /<path>}: the raw request path after the stage segment, as sent
     * @param region     16, 256, 4096 or 65536
     * @param count      nodes in the stage, 1 to {@code region}
     * @param redundancy copies, 1 to {@code min(count, maxRedundancy(region))}
     * @return {@code redundancy} distinct indexes, the first copy first
     */
    public static int[] locate(String filePath, int region, int count, int redundancy) {
        return locateDigest(SCRATCH.get().hash(filePath), region, count, redundancy);
    }

    /**
     * Per thread (an event loop, as a rule): a digest and room for a path's bytes and its md5,
     * reused by every placement on that thread, so that placing a file allocates nothing but its
     * answer. Thread-confined scratch, never shared.
     */
    private static final FastThreadLocal<Scratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    private static final class Scratch {
        private final MessageDigest md = Placement.md5();
        private final byte[] digest = new byte[16];
        private byte[] in = new byte[256];

        /** The md5 of the path's {@linkplain #wireBytes wire bytes}, in {@link #digest} (valid until the next call). */
        byte[] hash(String path) {
            int n = path.length();
            if (n > in.length) {
                in = new byte[Math.max(n, in.length * 2)];
            }
            for (int i = 0; i < n; i++) {
                char c = path.charAt(i);
                if (c > 0xff) {
                    md.update(wireBytes(path));
                    return finish();
                }
                in[i] = (byte) c;
            }
            md.update(in, 0, n);
            return finish();
        }

        private byte[] finish() {
            try {
                md.digest(digest, 0, digest.length); // resets the digest for the next path
            } catch (DigestException e) {
                throw new IllegalStateException("MD5 gives 16 bytes", e);
            }
            return digest;
        }
    }

    /**
     * The bytes of a request path as they were on the wire: a request line is bytes, read one
     * char per byte; a path typed by a user with characters beyond Latin-1 is taken as UTF-8.
     */
    static byte[] wireBytes(String path) {
        for (int i = 0; i < path.length(); i++) {
            if (path.charAt(i) > 0xff) {
                return path.getBytes(StandardCharsets.UTF_8);
            }
        }
        return path.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** As {@link #locate}, from the md5 hex digits of the file path. */
    public static int[] locateHash(String md5Hex, int region, int count, int redundancy) {
        return locateDigest(HexFormat.of().parseHex(md5Hex), region, count, redundancy);
    }

    /**
     * As {@link #locate}, from the 16 bytes of the md5: hex digit {@code k} of its text form is the
     * high nibble of byte {@code k / 2} for even {@code k}, the low one for odd {@code k}, so no
     * text is made on the request path.
     */
    static int[] locateDigest(byte[] md5, int region, int count, int redundancy) {
        if (!validRegion(region)) {
            throw new IllegalArgumentException("region " + region + " is not 16, 256, 4096 or 65536");
        }
        if (count < 1 || count > region) {
            throw new IllegalArgumentException("a stage needs 1 to " + region + " nodes, not " + count);
        }
        int m = digits(region);
        if (redundancy < 1 || redundancy > count || redundancy > 32 / m) {
            throw new IllegalArgumentException("redundancy " + redundancy + " is not between 1 and "
                    + Math.min(count, 32 / m));
        }
        double width = (double) region / count;
        int[] nodes = new int[redundancy];
        for (int i = 0; i < redundancy; i++) {
            int point = 0;
            for (int k = m * i; k < m * (i + 1); k++) {
                point = point << 4 | (md5[k >> 1] >> ((k & 1) == 0 ? 4 : 0) & 0xf);
            }
            int node = Math.min((int) (point / width), count - 1);
            while (taken(nodes, i, node)) {
                node = (node + 1) % count;
            }
            nodes[i] = node;
        }
        return nodes;
    }

    private static boolean taken(int[] nodes, int filled, int node) {
        for (int j = 0; j < filled; j++) {
            if (nodes[j] == node) {
                return true;
            }
        }
        return false;
    }
}
