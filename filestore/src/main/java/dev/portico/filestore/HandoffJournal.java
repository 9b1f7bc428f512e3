package dev.portico.filestore;

import dev.portico.core.config.AtomicFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The hinted-handoff journal of one router: which replica missed which write, and which files
 * were deleted (tombstones, kept for {@code tombstone_ttl}). It lives in
 * {@code <state_dir>/filestore/<service>.journal}, a text file of one record per line, appended
 * and flushed to disk ({@code fsync}) before the write it records is answered:
 *
 * <pre>
 * # portico filestore handoff journal 1
 * 7 put 1767225600000 * 10.0.0.2:80 /_3fs_0/a/b.txt     node missed a PUT: copy the file to it
 * 8 del 1767225600000 * 10.0.0.2:80 /_3fs_0/c.txt       node missed a DELETE: delete it there
 * 9 mkcol 1767225600000 * 10.0.0.3:80 /_3fs_0/d/        node missed a MKCOL: make it there
 * 10 tomb 1767225600000 * - /_3fs_0/c.txt               the file was deleted at that time
 * done 7                                                record 7 is finished (replayed or superseded)
 * </pre>
 *
 * <p>At most one record is live per node and file (a later write supersedes an earlier record,
 * on the nodes it reached and on those it missed), and one tombstone per file (a later PUT or
 * MKCOL ends it). Finished records are dropped when the file is rewritten: at start and whenever
 * finished lines outnumber the live ones (and number at least {@link #COMPACT_MIN}). The number
 * of live records is bounded by {@code max_entries}; a write whose misses would pass it is not
 * acknowledged. A journal that cannot be written fails every write that needs it, until a
 * rewrite from memory succeeds.
 */
final class HandoffJournal implements AutoCloseable {

    static final String HEADER = "# portico filestore handoff journal 1\n";
    /** Finished lines below this never trigger a rewrite. */
    static final int COMPACT_MIN = 1024;

    /** What a record asks for. */
    enum Kind {
        PUT("put"), DELETE("del"), MKCOL("mkcol"), TOMBSTONE("tomb");

        final String word;

        Kind(String word) {
            this.word = word;
        }

        static Kind of(String word) {
            for (Kind k : values()) {
                if (k.word.equals(word)) {
                    return k;
                }
            }
            return null;
        }
    }

    /**
     * One record.
     *
     * @param seq    its number, increasing over the journal's life
     * @param kind   what it asks for
     * @param millis when the write it records was answered (epoch milliseconds)
     * @param pool   the Host key of the pool the file belongs to
     * @param node   the node that missed the write ({@code -} for a tombstone)
     * @param uri    the file's staged path, {@code /<prefix>_<stage>/<path>}, without query
     */
    record Entry(long seq, Kind kind, long millis, String pool, String node, String uri) {
        String line() {
            return seq + " " + kind.word + " " + millis + " " + pool + " " + node + " " + uri + "\n";
        }
    }

    /** A write the journal cannot take: full, or its file cannot be written. */
    static final class Unavailable extends Exception {
        Unavailable(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    private final Path file;
    private final Duration tombstoneTtl;
    private final int maxEntries;
    private final Executor io;
    private final ReentrantLock ioLock = new ReentrantLock();

    // ---- in memory, guarded by this
    /** Live non-tombstone records by {@code node + " " + uri}. */
    private final Map<String, Entry> pending = new HashMap<>();
    /** Live tombstones by uri. */
    private final Map<String, Entry> tombstones = new HashMap<>();
    private final StringBuilder unwritten = new StringBuilder();
    private final List<CompletableFuture<Void>> waiting = new ArrayList<>();
    private long seq;
    private int deadLines;
    private boolean flushQueued;
    private boolean rewrite;
    private String broken;
    /** Closed with its service: it takes nothing more, so a stopped router never writes beside its successor. */
    private boolean closed;

    /** Live records per uri: the write path's one lookup, without the lock. */
    private final ConcurrentHashMap<String, Integer> perUri = new ConcurrentHashMap<>();

    private FileChannel channel;

    private HandoffJournal(Path file, Duration tombstoneTtl, int maxEntries, Executor io) {
        this.file = file;
        this.tombstoneTtl = tombstoneTtl;
        this.maxEntries = maxEntries;
        this.io = io;
    }

    /** Where a service keeps its journal. */
    static Path file(Path stateDir, String service) {
        return stateDir.resolve("filestore").resolve(service + ".journal");
    }

    /**
     * Opens (creating) a journal, reads what a previous run left, and rewrites it without the
     * finished records.
     *
     * @param io runs the file writes; they are serialised by the journal
     */
    static HandoffJournal open(Path file, Duration tombstoneTtl, int maxEntries, long nowMillis, Executor io)
            throws IOException {
        HandoffJournal j = new HandoffJournal(file, tombstoneTtl, maxEntries, io);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Loaded loaded = load(file);
        synchronized (j) {
            j.seq = loaded.lastSeq;
            for (Entry e : loaded.live) {
                j.apply(e);
            }
            j.expire(nowMillis);
        }
        j.compact();
        return j;
    }

    /** The live records of a journal file, read only (for {@code fs check} beside a running router). */
    static Loaded load(Path file) throws IOException {
        TreeMap<Long, Entry> live = new TreeMap<>();
        long last = 0;
        if (!Files.exists(file)) {
            return new Loaded(List.of(), 0);
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int lineNo = 0;
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                break; // a record cut short by a crash: it was never acknowledged
            }
            String line = text.substring(start, end);
            start = end + 1;
            lineNo++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(" ");
            try {
                if (f[0].equals("done") && f.length == 2) {
                    live.remove(Long.parseLong(f[1]));
                    continue;
                }
                Kind kind = f.length == 6 ? Kind.of(f[1]) : null;
                if (kind == null) {
                    throw new IOException(file + ":" + lineNo + ": not a journal record: " + line);
                }
                Entry e = new Entry(Long.parseLong(f[0]), kind, Long.parseLong(f[2]), f[3], f[4], f[5]);
                live.put(e.seq(), e);
                last = Math.max(last, e.seq());
            } catch (NumberFormatException e) {
                throw new IOException(file + ":" + lineNo + ": not a journal record: " + line);
            }
        }
        return new Loaded(List.copyOf(live.values()), last);
    }

    /**
     * A journal file's live records, in the order they were written.
     *
     * @param live    the records not yet finished
     * @param lastSeq the highest record number seen
     */
    record Loaded(List<Entry> live, long lastSeq) {
        /** The live tombstone of a uri, if any. */
        Optional<Entry> tombstone(String uri) {
            Entry found = null;
            for (Entry e : live) {
                if (e.kind() == Kind.TOMBSTONE && e.uri().equals(uri)) {
                    found = e;
                }
            }
            return Optional.ofNullable(found);
        }

        /** Whether a node's copy of a uri is known to be behind the others (it missed a PUT). */
        boolean stale(String node, String uri) {
            for (Entry e : live) {
                if (e.node().equals(node) && e.uri().equals(uri) && e.kind() == Kind.PUT) {
                    return true;
                }
            }
            return false;
        }
    }

    // ---- the write path ------------------------------------------------------------------------

    /** Whether a uri has any live record; a write to one that has none and misses nothing needs no journal. */
    boolean touches(String uri) {
        return !perUri.isEmpty() && perUri.containsKey(uri);
    }

    /**
     * Whether a live tombstone of {@code pool} says {@code uri} was deleted: the read path's check.
     * Without any record of the uri it costs one lookup in a concurrent map and takes no lock.
     */
    boolean deleted(String pool, String uri) {
        if (!touches(uri)) {
            return false;
        }
        synchronized (this) {
            Entry t = tombstones.get(uri);
            return t != null && t.pool().equals(pool);
        }
    }

    /** Whether any record is live: when none is, no read needs to look for a tombstone. */
    boolean anyLive() {
        return !perUri.isEmpty();
    }

    /**
     * Records the outcome of a write that reached {@code reached} and missed {@code missed}: the
     * reached nodes' older records for the file end, the missed ones get a record of this write,
     * a DELETE leaves a tombstone and a PUT or MKCOL ends one.
     *
     * @return completes once the records are on disk (at once when nothing changed); fails with
     *         {@link Unavailable} when the journal is full or cannot be written
     */
    CompletableFuture<Void> afterWrite(Kind kind, String pool, String uri, List<String> reached, List<String> missed,
                                       long nowMillis) {
        if (!safe(pool) || !safe(uri)) {
            return CompletableFuture.failedFuture(new Unavailable("the path cannot be journalled", null));
        }
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new Unavailable("the handoff journal is closed", null));
            }
            if (broken != null && !missed.isEmpty()) {
                // a record of a miss cannot be promised while the file is failing; the rewrite may heal it
                rewrite = true;
            }
            int adding = missed.size() + (kind == Kind.DELETE && tombstones.get(uri) == null ? 1 : 0);
            int removing = 0;
            for (String n : missed) {
                removing += pending.containsKey(key(n, uri)) ? 1 : 0;
            }
            if (pending.size() + tombstones.size() + adding - removing > maxEntries && adding > removing) {
                return CompletableFuture.failedFuture(new Unavailable("the handoff journal is full ("
                        + maxEntries + " records)", null));
            }
            int before = unwritten.length();
            for (String n : reached) {
                finish(pending.get(key(n, uri)));
            }
            for (String n : missed) {
                finish(pending.get(key(n, uri)));
                add(new Entry(++seq, kind, nowMillis, pool, n, uri));
            }
            if (kind == Kind.DELETE) {
                finish(tombstones.get(uri));
                add(new Entry(++seq, Kind.TOMBSTONE, nowMillis, pool, "-", uri));
            } else {
                finish(tombstones.get(uri));
            }
            if (unwritten.length() == before) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> f = new CompletableFuture<>();
            waiting.add(f);
            queueFlush();
            return f;
        }
    }

    /**
     * A read found a copy missing on {@code node} while another replica had it: queue a copy,
     * unless the file is tombstoned or the node already has a record for it.
     *
     * @return whether a record was added
     */
    synchronized boolean readRepair(String pool, String node, String uri, long nowMillis) {
        if (closed || !safe(pool) || !safe(uri) || tombstones.containsKey(uri) || pending.containsKey(key(node, uri))
                || pending.size() + tombstones.size() >= maxEntries) {
            return false;
        }
        add(new Entry(++seq, Kind.PUT, nowMillis, pool, node, uri));
        queueFlush();
        return true;
    }

    // ---- the replay side -----------------------------------------------------------------------

    /** Up to {@code max} live records other than tombstones, oldest first. */
    synchronized List<Entry> due(int max) {
        return due(max, n -> true);
    }

    /**
     * Up to {@code max} live records other than tombstones whose node {@code ready} accepts,
     * oldest first: a node that stays down does not hold back the records of the others.
     */
    synchronized List<Entry> due(int max, java.util.function.Predicate<String> ready) {
        List<Entry> all = new ArrayList<>();
        for (Entry e : pending.values()) {
            if (ready.test(e.node())) {
                all.add(e);
            }
        }
        all.sort(Comparator.comparingLong(Entry::seq));
        return all.size() > max ? List.copyOf(all.subList(0, max)) : all;
    }

    /** Finishes a record if it is still the live one for its node and file. */
    synchronized boolean done(Entry e) {
        if (closed || pending.get(key(e.node(), e.uri())) != e) {
            return false;
        }
        finish(e);
        queueFlush();
        return true;
    }

    /** Whether {@code e} is still the live record for its node and file. */
    synchronized boolean live(Entry e) {
        return pending.get(key(e.node(), e.uri())) == e;
    }

    /** The live tombstone of a uri, if any. */
    synchronized Optional<Entry> tombstone(String uri) {
        return Optional.ofNullable(tombstones.get(uri));
    }

    /** Whether a node has a live record for a uri (its copy is behind). */
    synchronized boolean behind(String node, String uri) {
        return pending.containsKey(key(node, uri));
    }

    /** Ends the tombstones older than {@code tombstone_ttl}. */
    synchronized void expire(long nowMillis) {
        long cutoff = nowMillis - tombstoneTtl.toMillis();
        List<Entry> old = new ArrayList<>();
        for (Entry t : tombstones.values()) {
            if (t.millis() < cutoff) {
                old.add(t);
            }
        }
        old.forEach(this::finish);
        if (!old.isEmpty()) {
            queueFlush();
        }
    }

    /** Live records: missed writes and tombstones. */
    synchronized int size() {
        return pending.size() + tombstones.size();
    }

    /** Live records of missed writes (without tombstones). */
    synchronized int pendingSize() {
        return pending.size();
    }

    /** Why the file cannot be written now, or null when it can. */
    synchronized String broken() {
        return broken;
    }

    Path path() {
        return file;
    }

    // ---- in memory -----------------------------------------------------------------------------

    private static boolean safe(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                return false;
            }
        }
        return !s.isEmpty();
    }

    private static String key(String node, String uri) {
        return node + " " + uri;
    }

    /** Takes a record into memory (at load: no line is written). */
    private void apply(Entry e) {
        if (e.kind() == Kind.TOMBSTONE) {
            Entry old = tombstones.put(e.uri(), e);
            if (old == null) {
                perUri.merge(e.uri(), 1, Integer::sum);
            }
        } else {
            Entry old = pending.put(key(e.node(), e.uri()), e);
            if (old == null) {
                perUri.merge(e.uri(), 1, Integer::sum);
            }
        }
    }

    private void add(Entry e) {
        apply(e);
        unwritten.append(e.line());
    }

    private void finish(Entry e) {
        if (e == null) {
            return;
        }
        boolean removed = e.kind() == Kind.TOMBSTONE ? tombstones.remove(e.uri(), e)
                : pending.remove(key(e.node(), e.uri()), e);
        if (!removed) {
            return;
        }
        perUri.computeIfPresent(e.uri(), (u, n) -> n == 1 ? null : n - 1);
        unwritten.append("done ").append(e.seq()).append('\n');
        deadLines += 2;
    }

    private String render() {
        List<Entry> all = new ArrayList<>(pending.values());
        all.addAll(tombstones.values());
        all.sort(Comparator.comparingLong(Entry::seq));
        StringBuilder b = new StringBuilder(HEADER);
        for (Entry e : all) {
            b.append(e.line());
        }
        return b.toString();
    }

    // ---- the file ------------------------------------------------------------------------------

    /** Has the writer run; called with the lock held. */
    private void queueFlush() {
        if (!flushQueued && !closed) {
            flushQueued = true;
            try {
                io.execute(this::flush);
            } catch (RuntimeException e) {
                // the executor is shutting down: what waits cannot be promised (close() writes the rest)
                flushQueued = false;
                for (CompletableFuture<Void> f : waiting) {
                    f.completeExceptionally(new Unavailable("the handoff journal is closing", e));
                }
                waiting.clear();
            }
        }
    }

    /** Writes what is queued (or the whole file when due) and completes the writes waiting for it. */
    void flush() {
        ioLock.lock();
        try {
            String lines;
            String whole = null;
            List<CompletableFuture<Void>> done;
            synchronized (this) {
                flushQueued = false;
                if (closed && channel == null && unwritten.isEmpty() && waiting.isEmpty()) {
                    return;
                }
                if (unwritten.isEmpty() && waiting.isEmpty() && !rewrite) {
                    return;
                }
                int live = pending.size() + tombstones.size();
                if (rewrite || deadLines >= COMPACT_MIN && deadLines > live) {
                    whole = render();
                    rewrite = false;
                    deadLines = 0;
                }
                lines = unwritten.toString();
                unwritten.setLength(0);
                done = new ArrayList<>(waiting);
                waiting.clear();
            }
            IOException failure = null;
            try {
                if (whole != null) {
                    replaceFile(whole);
                } else {
                    append(lines);
                }
            } catch (IOException e) {
                failure = e;
            }
            synchronized (this) {
                if (failure != null) {
                    broken = failure.getMessage() == null ? failure.toString() : failure.getMessage();
                    rewrite = true; // the next flush writes the whole file from memory
                } else {
                    broken = null;
                }
            }
            for (CompletableFuture<Void> f : done) {
                if (failure == null) {
                    f.complete(null);
                } else {
                    f.completeExceptionally(new Unavailable("the handoff journal " + file + " cannot be written: "
                            + failure.getMessage(), failure));
                }
            }
        } finally {
            ioLock.unlock();
        }
    }

    private void append(String lines) throws IOException {
        if (channel == null) {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
            if (channel.size() == 0) {
                lines = HEADER + lines;
            }
        }
        ByteBuffer buf = ByteBuffer.wrap(lines.getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
        channel.force(false);
    }

    private void replaceFile(String text) throws IOException {
        closeChannel();
        AtomicFiles.write(file, text);
    }

    /** Rewrites the file with the live records only. */
    void compact() throws IOException {
        ioLock.lock();
        try {
            String text;
            synchronized (this) {
                text = render();
                unwritten.setLength(0);
                deadLines = 0;
                rewrite = false;
            }
            replaceFile(text);
            synchronized (this) {
                broken = null;
            }
        } finally {
            ioLock.unlock();
        }
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // closing a file only read and appended to
            }
            channel = null;
        }
    }

    @Override
    public void close() {
        flush();
        synchronized (this) {
            closed = true;
        }
        flush(); // what came in between
        ioLock.lock();
        try {
            closeChannel();
        } finally {
            ioLock.unlock();
        }
    }

    /** For the view: every live record. */
    synchronized Collection<Entry> snapshot() {
        List<Entry> all = new ArrayList<>(pending.values());
        all.addAll(tombstones.values());
        all.sort(Comparator.comparingLong(Entry::seq));
        return all;
    }
}
