package dev.portico.proxy.cache;

import ch.qos.logback.classic.Level;
import dev.portico.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The disk tier: storage, eviction, restarts, damaged files and concurrent use. */
@Timeout(60)
class DiskTierTest {

    @TempDir
    Path tmp;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** A clock one second further on each time it is read, so access stamps never tie. */
    private static final class Ticking extends Clock {
        private final AtomicLong seconds = new AtomicLong(1_700_000_000L);

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochSecond(seconds.incrementAndGet());
        }
    }

    private static long size(String key, String meta, String body) {
        return DiskTier.fileSize(b(key).length, b(meta).length, b(body).length);
    }

    private List<Path> filesUnder(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void roundTripWithKeysOfAnyShape() throws IOException {
        Path dir = tmp.resolve("cache");
        List<String> keys = List.of("GET http://example.com/a?b=c", "", "../../../etc/passwd",
                "ключ/日本語/😀", "x".repeat(20_000), "a\u0000b\nc");
        try (DiskTier t = DiskTier.open(dir, 10_000_000)) {
            long expected = 0;
            for (String k : keys) {
                t.put(k, b("meta of " + k.length()), b("body for " + k));
                expected += size(k, "meta of " + k.length(), "body for " + k);
            }
            for (String k : keys) {
                DiskTier.Stored got = t.get(k);
                assertThat(got).as(k.length() > 40 ? "long key" : k).isNotNull();
                assertThat(s(got.meta())).isEqualTo("meta of " + k.length());
                assertThat(s(got.body())).isEqualTo("body for " + k);
            }
            assertThat(t.get("absent")).isNull();
            assertThat(t.entries()).isEqualTo(keys.size());
            assertThat(t.bytes()).isEqualTo(expected);
            // Two-level fan-out by hash, and nothing written beside the directory.
            Path f = t.fileOf(keys.getFirst());
            String name = f.getFileName().toString();
            assertThat(name).hasSize(64).matches("[0-9a-f]+");
            assertThat(f.getParent().getFileName()).hasToString(name.substring(2, 4));
            assertThat(f.getParent().getParent().getFileName()).hasToString(name.substring(0, 2));
            assertThat(filesUnder(dir)).hasSize(keys.size());
        }
        try (Stream<Path> beside = Files.list(tmp)) {
            assertThat(beside.toList()).containsExactly(dir);
        }
    }

    @Test
    void emptyMetaAndBodyAreKept() throws IOException {
        try (DiskTier t = DiskTier.open(tmp, 1_000_000)) {
            t.put("k", new byte[0], new byte[0]);
            DiskTier.Stored got = t.get("k");
            assertThat(got.meta()).isEmpty();
            assertThat(got.body()).isEmpty();
        }
    }

    @Test
    void overwriteReplacesAndRecountsBytes() throws IOException {
        try (DiskTier t = DiskTier.open(tmp, 1_000_000)) {
            t.put("k", b("m1"), b("a long first body"));
            t.put("k", b("m2"), b("short"));
            DiskTier.Stored got = t.get("k");
            assertThat(s(got.meta())).isEqualTo("m2");
            assertThat(s(got.body())).isEqualTo("short");
            assertThat(t.entries()).isEqualTo(1);
            assertThat(t.bytes()).isEqualTo(size("k", "m2", "short"));
            assertThat(filesUnder(tmp)).hasSize(1);
        }
    }

    @Test
    void updateMetaKeepsTheBody() throws IOException {
        try (DiskTier t = DiskTier.open(tmp, 1_000_000)) {
            assertThat(t.updateMeta("k", b("x"))).isFalse();
            t.put("k", b("old meta"), b("the body"));
            assertThat(t.updateMeta("k", b("new, longer meta"))).isTrue();
            DiskTier.Stored got = t.get("k");
            assertThat(s(got.meta())).isEqualTo("new, longer meta");
            assertThat(s(got.body())).isEqualTo("the body");
            assertThat(t.bytes()).isEqualTo(size("k", "new, longer meta", "the body"));
        }
        try (DiskTier t = DiskTier.open(tmp, 1_000_000)) {
            assertThat(s(t.get("k").meta())).isEqualTo("new, longer meta");
        }
    }

    @Test
    void removeDeletesTheFile() throws IOException {
        try (DiskTier t = DiskTier.open(tmp, 1_000_000)) {
            t.put("k", b("m"), b("body"));
            Path f = t.fileOf("k");
            assertThat(f).exists();
            assertThat(t.remove("k")).isTrue();
            assertThat(t.remove("k")).isFalse();
            assertThat(t.get("k")).isNull();
            assertThat(f).doesNotExist();
            assertThat(t.entries()).isZero();
            assertThat(t.bytes()).isZero();
        }
    }

    @Test
    void removeIfPurgesByPrefix() throws IOException {
        try (DiskTier t = DiskTier.open(tmp, 1_000_000)) {
            for (int i = 0; i < 5; i++) {
                t.put("example.com/img/" + i, b("m"), b("img" + i));
                t.put("example.com/css/" + i, b("m"), b("css" + i));
            }
            assertThat(t.removeIf(k -> k.startsWith("example.com/img/"))).isEqualTo(5);
            assertThat(t.entries()).isEqualTo(5);
            assertThat(t.get("example.com/img/3")).isNull();
            assertThat(s(t.get("example.com/css/3").body())).isEqualTo("css3");
            assertThat(t.removeIf(k -> k.startsWith("example.com/img/"))).isZero();
            assertThat(filesUnder(tmp)).hasSize(5);
        }
    }

    @Test
    void evictsTheLeastRecentlyUsedToStayUnderTheBound() throws IOException {
        long one = size("a", "m", "0123456789");
        try (DiskTier t = DiskTier.open(tmp, 3 * one)) {
            t.put("a", b("m"), b("0123456789"));
            t.put("b", b("m"), b("0123456789"));
            t.put("c", b("m"), b("0123456789"));
            assertThat(t.get("a")).isNotNull();          // a is now the most recent
            t.put("d", b("m"), b("0123456789"));         // over by one: b goes
            assertThat(t.get("b")).isNull();
            assertThat(t.fileOf("b")).doesNotExist();
            assertThat(t.keysByAge()).containsExactly("c", "a", "d");
            assertThat(t.bytes()).isEqualTo(3 * one);
            t.put("e", b("m"), b("01234567890123456789")); // twice as big: c and a go
            assertThat(t.keysByAge()).containsExactly("d", "e");
            assertThat(t.bytes()).isLessThanOrEqualTo(3 * one);
            assertThat(filesUnder(tmp)).hasSize(2);
        }
    }

    @Test
    void anEntryLargerThanTheBoundIsNotStored() throws IOException {
        try (DiskTier t = DiskTier.open(tmp, 100)) {
            t.put("k", b("m"), b("small"));
            t.put("k", b("m"), new byte[200]);
            assertThat(t.get("k")).isNull();   // neither the new one nor the stale old one
            assertThat(t.entries()).isZero();
            assertThat(filesUnder(tmp)).isEmpty();
        }
    }

    @Test
    void restartKeepsEntriesAndTheirOrder() throws IOException {
        Ticking clock = new Ticking();
        long one = size("a", "m", "body");
        try (DiskTier t = DiskTier.open(tmp, 3 * one, clock)) {
            t.put("a", b("m"), b("body"));
            t.put("b", b("m"), b("body"));
            t.put("c", b("m"), b("body"));
            t.get("a");
        }
        try (DiskTier t = DiskTier.open(tmp, 3 * one, clock)) {
            assertThat(t.entries()).isEqualTo(3);
            assertThat(t.bytes()).isEqualTo(3 * one);
            assertThat(t.keysByAge()).containsExactly("b", "c", "a");
            t.put("d", b("m"), b("body"));
            assertThat(t.get("b")).isNull();
            assertThat(s(t.get("a").body())).isEqualTo("body");
        }
        // A smaller bound on reopen evicts the oldest at once.
        try (DiskTier t = DiskTier.open(tmp, one, clock)) {
            assertThat(t.keysByAge()).containsExactly("a");
        }
    }

    @Test
    void aTruncatedEntryIsDroppedOnReopen() throws IOException {
        Path f;
        try (DiskTier t = DiskTier.open(tmp, 1_000_000)) {
            t.put("k", b("meta"), b("a body of some length"));
            t.put("other", b("meta"), b("fine"));
            f = t.fileOf("k");
        }
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() - 3);
        }
        try (DiskTier t = DiskTier.open(tmp, 1_000_000)) {
            assertThat(t.get("k")).isNull();
            assertThat(f).doesNotExist();
            assertThat(t.entries()).isEqualTo(1);
            assertThat(s(t.get("other").body())).isEqualTo("fine");
        }
    }

    @Test
    void aCorruptChecksumIsNeverServed() throws IOException {
        Path f;
        try (DiskTier t = DiskTier.open(tmp, 1_000_000)) {
            t.put("k", b("meta"), b("the body"));
            f = t.fileOf("k");
        }
        byte[] raw = Files.readAllBytes(f);
        raw[raw.length - 6] ^= 0x01; // a bit of the body
        Files.write(f, raw);
        try (DiskTier t = DiskTier.open(tmp, 1_000_000); LogCapture log = new LogCapture(DiskTier.class)) {
            assertThat(t.get("k")).isNull();
            assertThat(log.messages(Level.WARN)).containsExactly("disk cache: dropped damaged entry " + f + " (key k)");
            assertThat(f).doesNotExist();
            assertThat(t.entries()).isZero();
            assertThat(t.bytes()).isZero();
            assertThat(t.updateMeta("k", b("x"))).isFalse();
        }
    }

    @Test
    void crashLeftoversAreDeletedAndOnlyWholeEntriesServed() throws IOException {
        try (DiskTier t = DiskTier.open(tmp, 1_000_000)) {
            t.put("good", b("meta"), b("whole"));
        }
        // A crash in the middle of a write: a partial temp file of a new entry...
        String tornName = DiskTier.hash("new");
        Path fan = tmp.resolve(tornName.substring(0, 2)).resolve(tornName.substring(2, 4));
        Files.createDirectories(fan);
        Path temp = fan.resolve(tornName + DiskTier.TEMP_SUFFIX);
        Files.write(temp, header("new", 4, 1000, "new".length() + 4 + 10));
        // ...a final file cut short (as if written in place, without a rename)...
        String cutName = DiskTier.hash("cut");
        Path cutFan = tmp.resolve(cutName.substring(0, 2)).resolve(cutName.substring(2, 4));
        Files.createDirectories(cutFan);
        Path cut = cutFan.resolve(cutName);
        Files.write(cut, header("cut", 4, 1000, "cut".length() + 4 + 10));
        // ...an entry under a name that is not its key's hash, and a file with garbage.
        String elsewhere = DiskTier.hash("elsewhere");
        Path moved = tmp.resolve(elsewhere.substring(0, 2)).resolve(elsewhere.substring(2, 4)).resolve(elsewhere);
        Files.createDirectories(moved.getParent());
        Files.copy(tmp.resolve(DiskTier.hash("good").substring(0, 2))
                .resolve(DiskTier.hash("good").substring(2, 4)).resolve(DiskTier.hash("good")), moved);
        String junkName = DiskTier.hash("junk");
        Path junk = tmp.resolve(junkName.substring(0, 2)).resolve(junkName.substring(2, 4)).resolve(junkName);
        Files.createDirectories(junk.getParent());
        Files.write(junk, b("not an entry at all"));
        // A file that is not ours is left alone.
        Path foreign = tmp.resolve("README");
        Files.write(foreign, b("hands off"));

        try (DiskTier t = DiskTier.open(tmp, 1_000_000)) {
            assertThat(temp).doesNotExist();
            assertThat(cut).doesNotExist();
            assertThat(moved).doesNotExist();
            assertThat(junk).doesNotExist();
            assertThat(foreign).exists();
            assertThat(t.get("new")).isNull();
            assertThat(t.get("cut")).isNull();
            assertThat(t.get("elsewhere")).isNull();
            assertThat(s(t.get("good").body())).isEqualTo("whole");
            assertThat(t.entries()).isEqualTo(1);
            // The tier works on: the torn key can be written again.
            t.put("new", b("m"), b("now whole"));
            assertThat(s(t.get("new").body())).isEqualTo("now whole");
        }
    }

    /** The start of an entry file claiming {@code body} bytes of body, then some of them. */
    private static byte[] header(String key, int meta, int body, int filled) {
        byte[] k = b(key);
        ByteBuffer buf = ByteBuffer.allocate(DiskTier.HEADER + filled);
        buf.putInt(DiskTier.MAGIC).putInt(k.length).putInt(meta).putInt(body).put(k);
        return buf.array();
    }

    @Test
    void concurrentPutsGetsAndRemovesStayConsistent() throws Exception {
        int threads = 6;
        int keys = 24;
        long bound = 40 * DiskTier.fileSize(8, 20, 600);
        try (DiskTier t = DiskTier.open(tmp, bound)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Integer>> work = new ArrayList<>();
                for (int w = 0; w < threads; w++) {
                    work.add(pool.submit(() -> {
                        ThreadLocalRandom rnd = ThreadLocalRandom.current();
                        int hits = 0;
                        for (int i = 0; i < 400; i++) {
                            String key = "key-" + rnd.nextInt(keys);
                            int op = rnd.nextInt(10);
                            if (op < 4) {
                                int n = rnd.nextInt(1, 600);
                                byte fill = (byte) rnd.nextInt(256);
                                byte[] body = new byte[n];
                                Arrays.fill(body, fill);
                                t.put(key, b(key + "|" + n + "|" + fill), body);
                            } else if (op < 5) {
                                t.remove(key);
                            } else if (op < 6) {
                                // Racing puts may change the body meanwhile, so this meta
                                // claims only the key.
                                t.updateMeta(key, b(key + "|updated"));
                            } else {
                                DiskTier.Stored got = t.get(key);
                                if (got != null) {
                                    hits++;
                                    String[] parts = s(got.meta()).split("\\|");
                                    assertThat(parts[0]).isEqualTo(key);
                                    byte[] body = got.body();
                                    assertThat(body).isNotEmpty();
                                    if (parts.length == 3) {
                                        // Meta and body of one put always come back together.
                                        assertThat(body).hasSize(Integer.parseInt(parts[1]));
                                        assertThat(body[0]).isEqualTo(Byte.parseByte(parts[2]));
                                    }
                                    for (byte x : body) {
                                        assertThat(x).isEqualTo(body[0]); // never torn
                                    }
                                }
                            }
                        }
                        return hits;
                    }));
                }
                int hits = 0;
                for (Future<Integer> f : work) {
                    hits += f.get(50, TimeUnit.SECONDS);
                }
                assertThat(hits).isPositive();
            } finally {
                pool.shutdownNow();
            }
            // The index agrees with the disk, and the bound held.
            List<Path> files = filesUnder(tmp);
            long onDisk = 0;
            for (Path f : files) {
                onDisk += Files.size(f);
            }
            assertThat(files).hasSize((int) t.entries());
            assertThat(t.bytes()).isEqualTo(onDisk).isLessThanOrEqualTo(bound);
            assertThat(files).noneMatch(f -> f.toString().endsWith(DiskTier.TEMP_SUFFIX));
        }
        try (DiskTier t = DiskTier.open(tmp, bound)) {
            for (int i = 0; i < keys; i++) {
                DiskTier.Stored got = t.get("key-" + i);
                if (got != null) {
                    assertThat(s(got.meta())).startsWith("key-" + i + "|");
                }
            }
        }
    }

    @Test
    void aClosedTierRefusesWork() throws IOException {
        DiskTier t = DiskTier.open(tmp, 1000);
        t.close();
        t.close();
        assertThatThrownBy(() -> t.get("k")).isInstanceOf(IOException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> t.put("k", new byte[0], new byte[0])).isInstanceOf(IOException.class);
    }

    @Test
    void rejectsANonPositiveBound() {
        assertThatThrownBy(() -> DiskTier.open(tmp, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
