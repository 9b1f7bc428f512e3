package dev.portico.proxy.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The two-tier store of a caching proxy. The memory tier is a Caffeine cache of {@link Variants}
 * by URL, bounded by bytes; the optional second (disk) tier holds, per URL, an index entry under
 * the URL itself listing variant ids, and each variant under {@code URL#id}. Disk reads and
 * writes run on the executor given, never on an event loop; a disk hit is promoted to memory.
 * Also here: the coalescing of concurrent misses ("flights"), the one-refresh-per-URL guard of
 * stale-while-revalidate, purges, lazy bans and the counters.
 */
public final class HttpCache implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpCache.class);
    private static final int INDEX_MARK = 'I';

    private final CachePolicy policy;
    private final Clock clock;
    private final Executor io;
    private final SecondTier disk;
    private final CacheMeters meters;
    private final Cache<String, Variants> memory;
    private final Map<String, Flight> flights = new ConcurrentHashMap<>();
    private final Set<String> refreshing = ConcurrentHashMap.newKeySet();
    private final List<Ban> bans = new CopyOnWriteArrayList<>();
    private final AtomicLong longestKeep = new AtomicLong();
    private final AtomicInteger waiting = new AtomicInteger();
    private final LongAdder[] counts = new LongAdder[CacheResult.values().length];
    private final Object[] stripes = new Object[64];
    private final int[] pending = new int[1];

    /**
     * @param config the cache section
     * @param disk   the second tier, or null for memory only (the cache closes it)
     * @param clock  the clock for ages and bans
     * @param io     where disk work runs
     * @param meters the service's cache meters, or null
     */
    public HttpCache(CacheConfig config, SecondTier disk, Clock clock, Executor io, CacheMeters meters) {
        this.policy = new CachePolicy(config);
        this.clock = clock;
        this.io = io;
        this.disk = disk;
        this.meters = meters;
        // Maintenance (eviction, the weighted size) runs on the calling thread, not in the common
        // pool: it is short, and the sizes the meters and the admin API report are then current.
        this.memory = Caffeine.newBuilder().maximumWeight(config.memorySize())
                .weigher((String k, Variants v) -> v.weight() + k.length()).executor(Runnable::run).build();
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Object();
        }
    }

    public CachePolicy policy() {
        return policy;
    }

    public CacheConfig config() {
        return policy.config();
    }

    public Clock clock() {
        return clock;
    }

    /** True when a disk tier is attached. */
    public boolean hasDisk() {
        return disk != null;
    }

    /** Counts what the cache did for one request. */
    public void count(CacheResult r) {
        counts[r.ordinal()].increment();
        if (meters != null) {
            meters.count(r);
        }
    }

    // ---- lookups -------------------------------------------------------------------------------

    /**
     * Finds the variants of a URL: at once from memory, else from disk off the loop. {@code done}
     * runs on {@code loop} (or right here for a memory answer) with the variants, or null.
     */
    public void lookup(String key, Executor loop, Consumer<Variants> done) {
        Variants v = memory.getIfPresent(key);
        if (v != null || disk == null) {
            done.accept(unbanned(key, v));
            return;
        }
        try {
            background(() -> {
                Variants d = readDisk(key);
                loop.execute(() -> {
                    if (d != null) {
                        memory.asMap().putIfAbsent(key, d);
                    }
                    done.accept(unbanned(key, d));
                });
            });
        } catch (RuntimeException e) {
            log.warn("cache: disk lookup of {} not started: {}", key, e.toString());
            done.accept(null);
        }
    }

    /** The variants in memory only, without touching the disk (tests, stats). */
    public Variants peekMemory(String key) {
        return memory.getIfPresent(key);
    }

    private Variants unbanned(String key, Variants v) {
        if (v == null || bans.isEmpty()) {
            return v;
        }
        long now = clock.millis();
        bans.removeIf(b -> now - b.createdAt() > longestKeep.get());
        List<CachedResponse> kept = new ArrayList<>();
        for (CachedResponse e : v.entries()) {
            boolean banned = false;
            for (Ban b : bans) {
                if (b.bans(key, e.storedAt())) {
                    banned = true;
                    break;
                }
            }
            if (!banned) {
                kept.add(e);
            }
        }
        if (kept.size() == v.entries().size()) {
            return v;
        }
        Variants rest = kept.isEmpty() ? null : new Variants(kept);
        memory.asMap().compute(key, (k, cur) -> cur == v ? rest : cur);
        if (disk != null) {
            background(() -> removeFromDisk(key));
        }
        return rest;
    }

    private Variants readDisk(String key) {
        try {
            SecondTier.Stored idx = disk.get(key);
            if (idx == null) {
                return null;
            }
            List<CachedResponse> out = new ArrayList<>();
            for (String id : readIndex(idx.meta())) {
                SecondTier.Stored s = disk.get(key + "#" + id);
                if (s != null) {
                    out.add(CachedResponse.fromMeta(s.meta(), s.body()));
                }
            }
            return out.isEmpty() ? null : new Variants(out);
        } catch (IOException | RuntimeException e) {
            log.warn("cache: cannot read {} from disk: {}", key, e.toString());
            return null;
        }
    }

    // ---- stores --------------------------------------------------------------------------------

    /** Stores a complete response: in memory now, on disk in the background. */
    public void store(String key, CachedResponse e) {
        longestKeep.accumulateAndGet(e.lifetime() + Math.max(policy.staleIfError(e), policy.staleWhileRevalidate(e)),
                Math::max);
        memory.asMap().compute(key, (k, old) -> old == null ? new Variants(List.of(e)) : old.with(e));
        if (disk != null) {
            background(() -> writeDisk(key, e));
        }
    }

    /** Replaces a variant after a 304: memory now, the disk entry's meta in the background. */
    public void update(String key, CachedResponse old, CachedResponse updated) {
        memory.asMap().compute(key, (k, cur) -> cur == null ? new Variants(List.of(updated)) : cur.replace(old, updated));
        if (disk != null) {
            background(() -> {
                synchronized (stripe(key)) {
                    try {
                        if (!disk.updateMeta(key + "#" + Variants.variantId(updated), updated.meta())) {
                            writeDisk(key, updated);
                        }
                    } catch (IOException | RuntimeException ex) {
                        log.warn("cache: cannot update {} on disk: {}", key, ex.toString());
                    }
                }
            });
        }
    }

    private void writeDisk(String key, CachedResponse e) {
        synchronized (stripe(key)) {
            try {
                String id = Variants.variantId(e);
                disk.put(key + "#" + id, e.meta(), e.body());
                SecondTier.Stored idx = disk.get(key);
                List<String> ids = new ArrayList<>(idx == null ? List.of() : readIndex(idx.meta()));
                if (!ids.contains(id)) {
                    ids.addFirst(id);
                    while (ids.size() > Variants.MAX) {
                        disk.remove(key + "#" + ids.removeLast());
                    }
                    disk.put(key, index(ids), new byte[0]);
                }
            } catch (IOException | RuntimeException ex) {
                log.warn("cache: cannot write {} to disk: {}", key, ex.toString());
            }
        }
    }

    /** Runs disk work on the executor, counted so that {@link #close()} can wait for it. */
    private void background(Runnable task) {
        synchronized (pending) {
            pending[0]++;
        }
        try {
            io.execute(() -> {
                try {
                    task.run();
                } finally {
                    synchronized (pending) {
                        pending[0]--;
                        pending.notifyAll();
                    }
                }
            });
        } catch (RuntimeException e) {
            synchronized (pending) {
                pending[0]--;
                pending.notifyAll();
            }
            throw e;
        }
    }

    private Object stripe(String key) {
        return stripes[(key.hashCode() & 0x7fffffff) % stripes.length];
    }

    private static byte[] index(List<String> ids) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(b)) {
            out.writeByte(INDEX_MARK);
            out.writeShort(ids.size());
            for (String id : ids) {
                out.writeUTF(id);
            }
        }
        return b.toByteArray();
    }

    private static List<String> readIndex(byte[] meta) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(meta))) {
            if (in.readUnsignedByte() != INDEX_MARK) {
                throw new IOException("not a cache index entry");
            }
            int n = in.readUnsignedShort();
            List<String> ids = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ids.add(in.readUTF());
            }
            return ids;
        }
    }

    /** Drops a URL after an unsafe method changed it (RFC 9111 §4.4); disk work in the background. */
    public void invalidate(String key) {
        memory.invalidate(key);
        if (disk != null) {
            background(() -> removeFromDisk(key));
        }
    }

    // ---- purge and ban -------------------------------------------------------------------------

    /** Removes one URL, every variant, from both tiers at once (blocking on the disk: call off the loops). */
    public int purge(String key) throws IOException {
        int n = memory.asMap().remove(key) == null ? 0 : 1;
        if (disk != null) {
            synchronized (stripe(key)) {
                n += disk.removeIf(k -> isKeyOrVariant(k, key)) > 0 && n == 0 ? 1 : 0;
            }
        }
        return n;
    }

    /** Removes every URL starting with {@code prefix} from both tiers (blocking: call off the loops). */
    public int purgePrefix(String prefix) throws IOException {
        int n = 0;
        for (String k : List.copyOf(memory.asMap().keySet())) {
            if (k.startsWith(prefix) && memory.asMap().remove(k) != null) {
                n++;
            }
        }
        if (disk != null) {
            n = Math.max(n, disk.removeIf(k -> k.startsWith(prefix) && k.indexOf('#') < 0));
            disk.removeIf(k -> k.startsWith(prefix));
        }
        return n;
    }

    private static boolean isKeyOrVariant(String k, String key) {
        return k.equals(key) || (k.startsWith(key) && k.length() > key.length() && k.charAt(key.length()) == '#');
    }

    private void removeFromDisk(String key) {
        synchronized (stripe(key)) {
            try {
                disk.removeIf(k -> isKeyOrVariant(k, key));
            } catch (IOException | RuntimeException e) {
                log.warn("cache: cannot remove {} from disk: {}", key, e.toString());
            }
        }
    }

    /** Bans every URL starting with {@code prefix} stored until now. */
    public Ban banPrefix(String prefix) {
        return addBan(new Ban(prefix, null, clock.millis()));
    }

    /** Bans every URL in which {@code regex} is found, stored until now. */
    public Ban banRegex(String regex) {
        return addBan(new Ban(null, Pattern.compile(regex), clock.millis()));
    }

    private Ban addBan(Ban b) {
        bans.add(b);
        return b;
    }

    /** The bans still in force. */
    public List<Ban> bans() {
        long now = clock.millis();
        bans.removeIf(b -> now - b.createdAt() > longestKeep.get());
        return List.copyOf(bans);
    }

    // ---- coalescing ----------------------------------------------------------------------------

    /** The waiters of one fetch in flight. */
    private static final class Flight {
        private final List<Runnable> waiters = new ArrayList<>();
        private boolean done;
    }

    /** Takes the lead for a URL's fetch; false when another fetch for it is in flight. */
    public boolean lead(String key) {
        return flights.putIfAbsent(key, new Flight()) == null;
    }

    /**
     * Waits for the fetch in flight for a URL: {@code resume} runs (on the leader's thread) when
     * it ends. False when there is no fetch in flight any more.
     */
    public boolean follow(String key, Runnable resume) {
        Flight f = flights.get(key);
        if (f == null) {
            return false;
        }
        synchronized (f) {
            if (f.done) {
                return false;
            }
            f.waiters.add(resume);
        }
        return true;
    }

    /** Ends the lead: every follower resumes. */
    public void finish(String key) {
        Flight f = flights.remove(key);
        if (f == null) {
            return;
        }
        List<Runnable> run;
        synchronized (f) {
            f.done = true;
            run = List.copyOf(f.waiters);
        }
        run.forEach(Runnable::run);
    }

    /** Requests waiting for another's fetch right now. */
    public AtomicInteger waiting() {
        return waiting;
    }

    /** Claims the one background refresh of a URL; false when one is running. */
    public boolean beginRefresh(String key) {
        return refreshing.add(key);
    }

    public void endRefresh(String key) {
        refreshing.remove(key);
    }

    // ---- stats ---------------------------------------------------------------------------------

    public CacheStats stats() {
        long memBytes = memory.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
        return new CacheStats(memory.estimatedSize(), memBytes, config().memorySize(),
                disk == null ? 0 : disk.entries(), disk == null ? 0 : disk.bytes(),
                disk == null ? 0 : config().diskSize(),
                counts[CacheResult.HIT.ordinal()].sum(), counts[CacheResult.MISS.ordinal()].sum(),
                counts[CacheResult.STALE.ordinal()].sum(), counts[CacheResult.REVALIDATED.ordinal()].sum(),
                counts[CacheResult.BYPASS.ordinal()].sum(), bans().stream().map(Ban::describe).toList());
    }

    /** Waits (up to 10 s) for disk writes under way, then closes the disk tier. */
    @Override
    public void close() {
        long until = System.nanoTime() + 10_000_000_000L;
        synchronized (pending) {
            while (pending[0] > 0 && System.nanoTime() < until) {
                try {
                    pending.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (disk != null) {
            try {
                disk.close();
            } catch (IOException e) {
                log.warn("cache: closing the disk tier: {}", e.toString());
            }
        }
    }
}
