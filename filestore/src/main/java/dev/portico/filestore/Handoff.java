package dev.portico.filestore;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Replays the handoff journal: every {@code handoff.interval}, each record whose node is healthy
 * again is carried out, at most {@code handoff.rate} a second. A missed PUT (or a copy a read
 * found missing) is copied from a replica that has the file and is not itself behind; a missed
 * DELETE or MKCOL is sent again. A record is finished only when its node has what the record
 * asks for; a failed replay stays for the next round.
 *
 * <p>A replay and a client's write of the same file never overlap unseen: each registers before
 * looking at the other. A replay gives way to a write in flight; a write that starts while a
 * replay copies to a node records that node as missed, so the copy is made again from a good
 * replica afterwards rather than left possibly older.
 */
final class Handoff implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Handoff.class);

    private final String service;
    private final FilestoreConfig config;
    private final HandoffJournal journal;
    private final NodeContext nodes;
    private final NodeClient client;
    private final FilestoreMetrics metrics;
    private final Clock clock;
    private final ExecutorService blocking;
    /** Client writes in flight, by uri. */
    private final ConcurrentHashMap<String, Integer> writing = new ConcurrentHashMap<>();
    /** Copies in progress: uri to the node being written. */
    private final ConcurrentHashMap<String, String> replaying = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean closed;
    private ScheduledFuture<?> task;
    private long nextSlotNanos;

    Handoff(String service, FilestoreConfig config, HandoffJournal journal, NodeContext nodes, NodeClient client,
            FilestoreMetrics metrics, Clock clock, ExecutorService blocking) {
        this.service = service;
        this.config = config;
        this.journal = journal;
        this.nodes = nodes;
        this.client = client;
        this.metrics = metrics;
        this.clock = clock;
        this.blocking = blocking;
    }

    HandoffJournal journal() {
        return journal;
    }

    long now() {
        return clock.millis();
    }

    /** Starts the rounds on {@code scheduler}; each runs on the blocking executor. */
    void start(ScheduledExecutorService scheduler) {
        long every = config.handoff().interval().toMillis();
        task = scheduler.scheduleWithFixedDelay(this::kick, every, every, TimeUnit.MILLISECONDS);
    }

    /** Starts a round unless one is running. */
    void kick() {
        if (closed || !running.compareAndSet(false, true)) {
            return;
        }
        try {
            blocking.execute(() -> {
                try {
                    round();
                } catch (RuntimeException e) {
                    log.warn("{}: the handoff round failed: {}", service, e.toString());
                } finally {
                    running.set(false);
                }
            });
        } catch (RuntimeException e) {
            running.set(false); // the executor is shutting down
        }
    }

    /** One pass over the records due; public to the package so tests and the view can run one. */
    void round() {
        journal.expire(now());
        int batch = Math.max(1, config.handoff().rate() * (int) Math.max(1, config.handoff().interval().toSeconds()));
        for (HandoffJournal.Entry e : journal.due(batch, this::ready)) {
            if (closed) {
                return;
            }
            if (!ready(e.node()) || !journal.live(e)) {
                continue;
            }
            pace();
            replay(e);
        }
    }

    /** Whether a node is configured and healthy: its records can be replayed. */
    private boolean ready(String node) {
        NodeState n = nodes.node(node);
        return n != null && n.healthy();
    }

    /** Waits for the next of {@code handoff.rate} slots a second. */
    private void pace() {
        long gap = 1_000_000_000L / Math.max(1, config.handoff().rate());
        long now = System.nanoTime();
        if (nextSlotNanos - now > 0) {
            LockSupport.parkNanos(nextSlotNanos - now);
            now = System.nanoTime();
        }
        nextSlotNanos = Math.max(nextSlotNanos, now) + gap;
    }

    private void replay(HandoffJournal.Entry e) {
        if (replaying.putIfAbsent(e.uri(), e.node()) != null) {
            return;
        }
        try {
            if (writing.containsKey(e.uri())) {
                return; // a client write is in flight: its outcome decides, and the record waits
            }
            boolean ok = switch (e.kind()) {
                case PUT -> copy(e);
                case DELETE -> {
                    int s = client.delete(e.node(), e.uri());
                    yield s >= 200 && s < 300 || s == 404;
                }
                case MKCOL -> {
                    int s = client.mkcol(e.node(), e.uri());
                    if (s == 409) {
                        client.makeParents(e.node(), e.uri());
                        s = client.mkcol(e.node(), e.uri());
                    }
                    yield s == 201 || s == 405;
                }
                case TOMBSTONE -> true;
            };
            if (ok) {
                journal.done(e);
                metrics.replaysDone.increment();
                log.debug("{}: handoff: {} {} on {} replayed", service, e.kind(), e.uri(), e.node());
            } else {
                metrics.replaysFailed.increment();
            }
        } catch (IOException ex) {
            metrics.replaysFailed.increment();
            log.info("{}: handoff: {} {} on {} failed, kept for the next round: {}", service, e.kind(), e.uri(),
                    e.node(), ex.getMessage());
        } finally {
            replaying.remove(e.uri());
        }
    }

    /** Copies the file to the node that missed it from a replica that has it and is not behind. */
    private boolean copy(HandoffJournal.Entry e) throws IOException {
        List<String> sources = sources(e);
        if (sources == null) {
            journal.done(e); // the pool or stage is gone from the config: nothing to copy from
            return true;
        }
        IOException last = null;
        boolean anyAnswered = false;
        for (String source : sources) {
            try {
                Optional<String> copied = client.copy(source, e.node(), e.uri());
                anyAnswered = true;
                if (copied.isPresent()) {
                    return true;
                }
            } catch (IOException ex) {
                last = ex;
            }
        }
        if (anyAnswered && last == null) {
            // no replica has the file any more (deleted since, with its own records): nothing to copy
            log.debug("{}: handoff: no replica has {} any more", service, e.uri());
            return true;
        }
        if (last != null) {
            throw last;
        }
        return false;
    }

    /** The nodes to copy from, healthy first; null when the file's pool or stage is no longer configured. */
    private List<String> sources(HandoffJournal.Entry e) {
        StorePool pool = config.pools().get(e.pool());
        StorePath p = StorePath.parse(e.uri(), config.prefix());
        if (pool == null || p.kind() != StorePath.Kind.STAGED || pool.nodes(p.stage()) == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (NodeState n : nodes.readOrder(Router.replicas(config, pool, p.stage(), p.filePath()))) {
            if (!n.name().equals(e.node()) && !journal.behind(n.name(), e.uri())) {
                out.add(n.name());
            }
        }
        return out;
    }

    // ---- the write path's side ----------------------------------------------------------------

    /**
     * A client write of {@code uri} begins.
     *
     * @return the node a replay is copying the file to now (the write must count it as missed), or null
     */
    String writeBegins(String uri) {
        writing.merge(uri, 1, Integer::sum);
        return replaying.isEmpty() ? null : replaying.get(uri);
    }

    /** A client write of {@code uri} ended (answered or abandoned). */
    void writeEnds(String uri) {
        writing.computeIfPresent(uri, (u, n) -> n == 1 ? null : n - 1);
    }

    /** A read found {@code node} without a copy another replica has: queue a copy (never for a tombstoned file). */
    void readRepair(String pool, String node, String uri) {
        if (journal.readRepair(pool, node, uri, now())) {
            log.info("{}: read repair: {} queued for a copy to {}", service, uri, node);
        }
    }

    @Override
    public void close() {
        closed = true;
        if (task != null) {
            task.cancel(false);
        }
    }
}
