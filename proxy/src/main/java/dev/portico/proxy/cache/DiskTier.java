package dev.portico.proxy.cache;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.zip.CRC32C;

/**
 * The persistent tier of the proxy cache: entries of (key, meta, body) in files under one
 * directory, bounded by bytes with least-recently-used eviction, surviving restarts and crashes.
 *
 * <p><b>Layout.</b> An entry lives in {@code DIR/ab/cd/abcd…} where {@code abcd…} is the SHA-256
 * of its key in hex (64 characters) and {@code ab}, {@code cd} are its first two bytes. Keys of any
 * length or characters therefore map to safe names, and the tier writes nothing outside its
 * directory. The file is self-describing, all integers big-endian:
 * <pre>
 *   magic "PDC1" | key length (int) | meta length (int) | body length (int)
 *   | key (UTF-8) | meta | body | CRC32C of everything before it (int)
 * </pre>
 * The full key is stored in the file and compared on every read, so two keys whose hashes
 * collided would never be mixed up: the later one simply replaces the earlier.
 *
 * <p><b>Crash safety.</b> A write goes to {@code abcd….tmp} next to its final name, is forced to
 * disk, renamed over the final name atomically, and the directory is forced too. A reader that
 * opened the old file keeps reading the old file; one that opens after the rename reads the new
 * one: never half of either. On {@link #open}, leftover {@code .tmp} files are deleted, and so are
 * entry files whose header is unreadable, whose lengths disagree with the file size (torn or
 * truncated) or whose name is not the hash of the key inside; the index is rebuilt from the rest.
 * The body's checksum is verified on every read (opening does not read whole bodies): a mismatch
 * drops the entry and reads as a miss.
 *
 * <p><b>Eviction.</b> Accesses are ordered in memory; when the total size of the entry files
 * exceeds the bound, the least recently used entries are deleted. Each read also sets the file's
 * modification time, so after a restart the order is rebuilt from modification times. An entry
 * larger than the bound by itself is not stored.
 *
 * <p><b>Threads.</b> Every method may be called from any thread. Reads take no file lock; writes
 * to one key (put, meta update, removal, eviction) are serialised by a lock striped by hash. The
 * methods block on disk IO: call them off the event loops. One directory belongs to one open tier
 * at a time.
 */
public final class DiskTier implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DiskTier.class);

    /** "PDC1": Portico disk cache, format 1. */
    static final int MAGIC = 0x50444331;
    /** Magic and three lengths. */
    static final int HEADER = 16;
    /** The CRC32C at the end. */
    static final int TRAILER = 4;
    static final String TEMP_SUFFIX = ".tmp";

    private static final int STRIPES = 64;
    private static final HexFormat HEX = HexFormat.of();

    private final Path dir;
    private final long maxBytes;
    private final Clock clock;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    /** Hash name to entry, in access order (eldest first); guarded by itself. */
    private final LinkedHashMap<String, Entry> index = new LinkedHashMap<>(256, 0.75f, true);
    /** Sum of the sizes in {@link #index}; guarded by {@link #index}. */
    private long bytes;
    private volatile boolean closed;

    /** What the index knows of one entry file; compared by identity to detect replacements. */
    private record Entry(String key, long size) {
    }

    /**
     * One entry as read back.
     *
     * @param meta the metadata bytes, as given to {@link #put} or {@link #updateMeta}
     * @param body the body bytes
     */
    public record Stored(byte[] meta, byte[] body) {
    }

    private DiskTier(Path dir, long maxBytes, Clock clock) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.clock = clock;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /**
     * Opens (creating it if needed) the tier in {@code dir}, rebuilding the index from the entry
     * files there and deleting temp files and torn entries; entries beyond {@code maxBytes} are
     * evicted, oldest first.
     *
     * @param dir      the directory, owned by this tier
     * @param maxBytes the bound on the total size of the entry files, positive
     * @return the open tier
     * @throws IOException when the directory cannot be created or read
     */
    public static DiskTier open(Path dir, long maxBytes) throws IOException {
        return open(dir, maxBytes, Clock.systemUTC());
    }

    /** As {@link #open(Path, long)}, with the clock that stamps accesses. */
    static DiskTier open(Path dir, long maxBytes, Clock clock) throws IOException {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        Files.createDirectories(dir);
        DiskTier tier = new DiskTier(dir.toAbsolutePath().normalize(), maxBytes, clock);
        tier.recover();
        tier.evict();
        return tier;
    }

    /**
     * Reads the entry for {@code key} and marks it as recently used.
     *
     * @param key the key
     * @return the entry, or null when there is none (or it was found damaged, and dropped)
     * @throws IOException when the file cannot be read
     */
    public Stored get(String key) throws IOException {
        ensureOpen();
        String name = hash(key);
        Entry e;
        synchronized (index) {
            e = index.get(name);
        }
        if (e == null || !e.key().equals(key)) {
            return null;
        }
        Path file = file(name);
        Read read;
        try {
            read = read(file, key);
        } catch (NoSuchFileException gone) {
            return null;
        }
        if (read == null) {
            // Damaged, or replaced meanwhile by a colliding key (then the drop finds a newer entry).
            if (drop(name, e)) {
                LOG.warn("disk cache: dropped damaged entry {} (key {})", file, key);
            }
            return null;
        }
        try {
            Files.setLastModifiedTime(file, FileTime.from(clock.instant()));
        } catch (NoSuchFileException gone) {
            // removed or replaced meanwhile: the read stands
        }
        return new Stored(read.meta(), read.body());
    }

    /**
     * Stores {@code meta} and {@code body} under {@code key}, replacing any entry there, then
     * evicts least recently used entries while the total is over the bound. Readers see either
     * the old entry or the new one, never a mix. An entry whose file would be larger than the
     * bound is not stored, and the older entry for the key is removed.
     *
     * @param key  the key
     * @param meta the metadata
     * @param body the body
     * @throws IOException when the entry cannot be written
     */
    public void put(String key, byte[] meta, byte[] body) throws IOException {
        ensureOpen();
        String name = hash(key);
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        long size = fileSize(keyBytes.length, meta.length, body.length);
        ReentrantLock lock = stripe(name);
        lock.lock();
        try {
            if (size > maxBytes) {
                removeLocked(name, null);
                return;
            }
            write(name, keyBytes, meta, body);
            Entry fresh = new Entry(key, size);
            synchronized (index) {
                Entry old = index.put(name, fresh);
                bytes += size - (old == null ? 0 : old.size());
            }
        } finally {
            lock.unlock();
        }
        evict();
    }

    /**
     * Replaces the metadata of the entry for {@code key}, keeping its body, atomically.
     *
     * @param key  the key
     * @param meta the new metadata
     * @return false when there is no such entry
     * @throws IOException when the entry cannot be read or written
     */
    public boolean updateMeta(String key, byte[] meta) throws IOException {
        ensureOpen();
        String name = hash(key);
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        ReentrantLock lock = stripe(name);
        boolean grew;
        lock.lock();
        try {
            Entry e;
            synchronized (index) {
                e = index.get(name);
            }
            if (e == null || !e.key().equals(key)) {
                return false;
            }
            Read read;
            try {
                read = read(file(name), key);
            } catch (NoSuchFileException gone) {
                read = null;
            }
            if (read == null) {
                removeLocked(name, e);
                return false;
            }
            long size = fileSize(keyBytes.length, meta.length, read.body().length);
            if (size > maxBytes) {
                removeLocked(name, e);
                return false;
            }
            write(name, keyBytes, meta, read.body());
            synchronized (index) {
                Entry old = index.put(name, new Entry(key, size));
                bytes += size - (old == null ? 0 : old.size());
            }
            grew = size > e.size();
        } finally {
            lock.unlock();
        }
        if (grew) {
            evict();
        }
        return true;
    }

    /**
     * Removes the entry for {@code key}.
     *
     * @param key the key
     * @return false when there was none
     * @throws IOException when the file cannot be deleted
     */
    public boolean remove(String key) throws IOException {
        ensureOpen();
        String name = hash(key);
        ReentrantLock lock = stripe(name);
        lock.lock();
        try {
            Entry e;
            synchronized (index) {
                e = index.get(name);
            }
            if (e == null || !e.key().equals(key)) {
                return false;
            }
            return removeLocked(name, e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes every entry whose key matches, e.g. {@code k -> k.startsWith(prefix)} for a purge
     * by prefix. Entries stored while this runs may or may not be removed.
     *
     * @param key the test on keys; called without any lock held
     * @return how many entries were removed
     * @throws IOException when a file cannot be deleted
     */
    public int removeIf(Predicate<String> key) throws IOException {
        ensureOpen();
        List<Map.Entry<String, Entry>> all;
        synchronized (index) {
            all = new ArrayList<>(index.size());
            for (Map.Entry<String, Entry> m : index.entrySet()) {
                all.add(Map.entry(m.getKey(), m.getValue()));
            }
        }
        int removed = 0;
        for (Map.Entry<String, Entry> m : all) {
            if (key.test(m.getValue().key()) && drop(m.getKey(), m.getValue())) {
                removed++;
            }
        }
        return removed;
    }

    /** @return the total size of the entry files, in bytes */
    public long bytes() {
        synchronized (index) {
            return bytes;
        }
    }

    /** @return the number of entries */
    public long entries() {
        synchronized (index) {
            return index.size();
        }
    }

    /**
     * Closes the tier: later calls fail. Every write is already on disk, so there is nothing to
     * flush.
     */
    @Override
    public void close() throws IOException {
        closed = true;
    }

    // ---- internals ----

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("disk cache " + dir + " is closed");
        }
    }

    private ReentrantLock stripe(String name) {
        return stripes[Integer.parseInt(name, 0, 2, 16) % STRIPES];
    }

    /** Removes {@code name} if the index still holds {@code expected}; takes the stripe lock. */
    private boolean drop(String name, Entry expected) throws IOException {
        ReentrantLock lock = stripe(name);
        lock.lock();
        try {
            return removeLocked(name, expected);
        } finally {
            lock.unlock();
        }
    }

    /**
     * With the stripe lock held: removes the entry {@code name} from the index and deletes its
     * file, if the index holds {@code expected} (any entry when null).
     */
    private boolean removeLocked(String name, Entry expected) throws IOException {
        Entry e;
        synchronized (index) {
            e = index.get(name);
            if (e == null || (expected != null && e != expected)) {
                return false;
            }
            index.remove(name);
            bytes -= e.size();
        }
        Files.deleteIfExists(file(name));
        return true;
    }

    /** Deletes least recently used entries while the total is over the bound. */
    private void evict() throws IOException {
        while (true) {
            String name;
            Entry eldest;
            synchronized (index) {
                if (bytes <= maxBytes || index.isEmpty()) {
                    return;
                }
                Map.Entry<String, Entry> first = index.entrySet().iterator().next();
                name = first.getKey();
                eldest = first.getValue();
            }
            // A writer that replaced it meanwhile made it recent: then the loop picks the next.
            drop(name, eldest);
        }
    }

    static long fileSize(int key, int meta, int body) {
        return (long) HEADER + key + meta + body + TRAILER;
    }

    Path file(String name) {
        return dir.resolve(name.substring(0, 2)).resolve(name.substring(2, 4)).resolve(name);
    }

    static String hash(String key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HEX.formatHex(sha.digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Writes an entry file: temp file, force, atomic rename, force the directory. */
    private void write(String name, byte[] key, byte[] meta, byte[] body) throws IOException {
        Path target = file(name);
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path temp = parent.resolve(name + TEMP_SUFFIX);
        ByteBuffer header = ByteBuffer.allocate(HEADER)
                .putInt(MAGIC).putInt(key.length).putInt(meta.length).putInt(body.length).flip();
        CRC32C crc = new CRC32C();
        crc.update(header.duplicate());
        crc.update(key);
        crc.update(meta);
        crc.update(body);
        ByteBuffer trailer = ByteBuffer.allocate(TRAILER).putInt((int) crc.getValue()).flip();
        ByteBuffer[] parts = {header, ByteBuffer.wrap(key), ByteBuffer.wrap(meta), ByteBuffer.wrap(body), trailer};
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                while (trailer.hasRemaining()) {
                    ch.write(parts);
                }
                ch.force(true);
            }
            Files.setLastModifiedTime(temp, FileTime.from(clock.instant()));
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("disk cache " + dir + ": the file system cannot rename atomically", e);
            }
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        forceDirectory(parent);
    }

    private static void forceDirectory(Path d) {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open or force a directory; the rename is still atomic there.
            LOG.debug("disk cache: cannot force directory {}: {}", d, e.toString());
        }
    }

    /** A verified read. */
    private record Read(byte[] meta, byte[] body) {
    }

    /**
     * Reads and verifies the entry file; null when it is damaged or holds another key.
     *
     * @throws NoSuchFileException when there is no file
     */
    private static Read read(Path file, String key) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER + TRAILER) {
                return null;
            }
            ByteBuffer header = ByteBuffer.allocate(HEADER);
            if (!readFully(ch, header)) {
                return null;
            }
            header.flip();
            int magic = header.getInt();
            int keyLen = header.getInt();
            int metaLen = header.getInt();
            int bodyLen = header.getInt();
            if (magic != MAGIC || keyLen < 0 || metaLen < 0 || bodyLen < 0
                    || fileSize(keyLen, metaLen, bodyLen) != size) {
                return null;
            }
            byte[] k = new byte[keyLen];
            byte[] meta = new byte[metaLen];
            byte[] body = new byte[bodyLen];
            ByteBuffer trailer = ByteBuffer.allocate(TRAILER);
            if (!readFully(ch, ByteBuffer.wrap(k)) || !readFully(ch, ByteBuffer.wrap(meta))
                    || !readFully(ch, ByteBuffer.wrap(body)) || !readFully(ch, trailer)) {
                return null;
            }
            CRC32C crc = new CRC32C();
            crc.update(header.flip());
            crc.update(k);
            crc.update(meta);
            crc.update(body);
            if ((int) crc.getValue() != trailer.flip().getInt()) {
                return null;
            }
            if (!java.util.Arrays.equals(k, key.getBytes(StandardCharsets.UTF_8))) {
                return null;
            }
            return new Read(meta, body);
        }
    }

    private static boolean readFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                return false;
            }
        }
        return true;
    }

    /** An entry file found on open, before it joins the index. */
    private record Found(String name, String key, long size, FileTime mtime) {
    }

    /** Rebuilds the index from the entry files; deletes temp files and torn entries. */
    private void recover() throws IOException {
        List<Found> found = new ArrayList<>();
        int[] dropped = {0};
        Files.walkFileTree(dir, java.util.Set.of(), 3, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                String fn = f.getFileName().toString();
                if (!attrs.isRegularFile() || !isOurs(f)) {
                    return FileVisitResult.CONTINUE;
                }
                if (fn.endsWith(TEMP_SUFFIX)) {
                    Files.deleteIfExists(f);
                    dropped[0]++;
                    return FileVisitResult.CONTINUE;
                }
                Found entry = inspect(f, fn, attrs);
                if (entry == null) {
                    Files.deleteIfExists(f);
                    dropped[0]++;
                } else {
                    found.add(entry);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
        found.sort(Comparator.comparing(Found::mtime));
        synchronized (index) {
            for (Found f : found) {
                index.put(f.name(), new Entry(f.key(), f.size()));
                bytes += f.size();
            }
        }
        if (dropped[0] > 0) {
            LOG.info("disk cache {}: {} entries, {} bytes; deleted {} temp or damaged files",
                    dir, found.size(), bytes(), dropped[0]);
        }
    }

    /** True for files in this tier's naming scheme: DIR/ab/cd/abcd…[.tmp]. */
    private boolean isOurs(Path f) {
        if (f.getNameCount() != dir.getNameCount() + 3 || !f.startsWith(dir)) {
            return false;
        }
        String fn = f.getFileName().toString();
        String name = fn.endsWith(TEMP_SUFFIX) ? fn.substring(0, fn.length() - TEMP_SUFFIX.length()) : fn;
        return name.length() == 64 && isHex(name)
                && f.getParent().getFileName().toString().equals(name.substring(2, 4))
                && f.getParent().getParent().getFileName().toString().equals(name.substring(0, 2));
    }

    private static boolean isHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    /** Reads the header and key of an entry file; null when torn or misplaced. */
    private static Found inspect(Path f, String name, BasicFileAttributes attrs) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer header = ByteBuffer.allocate(HEADER);
            if (size < HEADER + TRAILER || !readFully(ch, header)) {
                return null;
            }
            header.flip();
            int magic = header.getInt();
            int keyLen = header.getInt();
            int metaLen = header.getInt();
            int bodyLen = header.getInt();
            if (magic != MAGIC || keyLen < 0 || metaLen < 0 || bodyLen < 0
                    || fileSize(keyLen, metaLen, bodyLen) != size) {
                return null;
            }
            byte[] k = new byte[keyLen];
            if (!readFully(ch, ByteBuffer.wrap(k))) {
                return null;
            }
            String key = new String(k, StandardCharsets.UTF_8);
            if (!hash(key).equals(name)) {
                return null;
            }
            return new Found(name, key, size, attrs.lastModifiedTime());
        }
    }

    /** For tests: the entry file of a key. */
    Path fileOf(String key) {
        return file(hash(key));
    }

    /** For tests: keys from least to most recently used. */
    List<String> keysByAge() {
        synchronized (index) {
            List<String> keys = new ArrayList<>(index.size());
            for (Iterator<Entry> it = index.values().iterator(); it.hasNext(); ) {
                keys.add(it.next().key());
            }
            return keys;
        }
    }
}
