package dev.portico.testing.netem;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One direction of an emulated link: frames received on one device leave on another, after the
 * direction's {@link LinkSpec} has been applied. Two threads: the receiver takes each frame into a
 * slot of a fixed pool of native buffers, decides its fate (loss, queue, release time) and puts it
 * in a heap ordered by release time ({@link System#nanoTime()}, then arrival); the sender waits for
 * the earliest release time and sends. Nothing is allocated per frame.
 *
 * <p>The rate limit is kept by serialisation time: a frame starts when the one before it has
 * finished (or when it arrives, if the link is idle) and takes {@code length × 8 / rate}; the
 * queue's content is the bytes still to serialise, so a frame that does not fit is dropped
 * (drop-tail). A late wake-up of the sender delays frames but never changes the rate, since
 * release times are computed, not measured.
 *
 * <p>Counters are written by one thread each and read by any.
 */
final class Direction {

    private final String name;
    private final PacketSocket in;
    private final PacketSocket out;
    private final int slotSize;
    private final int slots;
    private final MemorySegment pool;
    private final MemorySegment scratch;
    private final Arena arena;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition due = lock.newCondition();
    // Guarded by lock: the free slots (a stack) and the heap of waiting frames.
    private final int[] free;
    private int freeCount;
    private final long[] heapTime;
    private final long[] heapSeq;
    private final int[] heapSlot;
    private int heapSize;
    private final int[] length;

    private volatile LinkSpec spec;
    private volatile boolean specChanged;
    private volatile boolean running = true;
    private volatile String failure;

    // Receiver state.
    private SplittableRandom random;
    private boolean bad;
    private boolean lastLost;
    private long busyUntil;
    private long sequence;

    // Counters; each written by one thread.
    volatile long inFrames;
    volatile long inBytes;
    volatile long lossFrames;
    volatile long lossBytes;
    volatile long lossBursts;
    volatile long queueFrames;
    volatile long queueBytes;
    volatile long noBufferFrames;
    volatile long reordered;
    volatile long outFrames;
    volatile long outBytes;
    volatile long sendErrors;

    private Thread receiver;
    private Thread sender;

    Direction(String name, PacketSocket in, PacketSocket out, LinkSpec spec, int slotSize, int slots) {
        this.name = name;
        this.in = in;
        this.out = out;
        this.slotSize = slotSize;
        this.slots = slots;
        this.arena = Arena.ofShared();
        this.pool = arena.allocate((long) slotSize * slots, 64);
        this.scratch = arena.allocate(slotSize, 64);
        this.free = new int[slots];
        for (int i = 0; i < slots; i++) {
            free[i] = slots - 1 - i;
        }
        this.freeCount = slots;
        this.heapTime = new long[slots];
        this.heapSeq = new long[slots];
        this.heapSlot = new int[slots];
        this.length = new int[slots];
        set(spec);
    }

    String name() {
        return name;
    }

    LinkSpec spec() {
        return spec;
    }

    /** Takes effect from the next frame received; the loss chain starts over in the good state. */
    void set(LinkSpec newSpec) {
        this.spec = newSpec;
        this.specChanged = true;
    }

    /** Why the direction stopped on its own, or null. */
    String failure() {
        return failure;
    }

    void start() {
        receiver = Thread.ofPlatform().name("netem-rx-" + name).daemon().start(this::receive);
        sender = Thread.ofPlatform().name("netem-tx-" + name).daemon().start(this::send);
    }

    void stop() throws InterruptedException {
        running = false;
        lock.lock();
        try {
            due.signalAll();
        } finally {
            lock.unlock();
        }
        if (receiver != null) {
            receiver.join(2000);
        }
        if (sender != null) {
            sender.join(2000);
        }
    }

    /** Frees the buffers; after {@link #stop()}. */
    void release() {
        arena.close();
    }

    private void receive() {
        PacketSocket.Errno e = new PacketSocket.Errno(arena);
        busyUntil = System.nanoTime();
        int slot = -1;
        while (running) {
            if (slot < 0) {
                slot = takeFree();
            }
            long address = slot < 0 ? scratch.address() : pool.address() + (long) slot * slotSize;
            long n = in.receive(e, address, slotSize);
            if (n == 0) {
                continue;
            }
            if (n < 0) {
                failure = "receiving on " + in.device() + ": " + PacketSocket.message((int) -n);
                running = false;
                break;
            }
            long now = System.nanoTime();
            inFrames++;
            inBytes += n;
            if (slot < 0) {
                noBufferFrames++;
                continue;
            }
            if (specChanged) {
                // Cleared before the spec is read: a change made meanwhile is seen next frame.
                specChanged = false;
                long seed = spec.seed();
                random = seed != 0 ? new SplittableRandom(seed) : new SplittableRandom();
                bad = false;
                lastLost = false;
            }
            LinkSpec s = spec;
            if (lost(s)) {
                lossFrames++;
                lossBytes += n;
                if (!lastLost) {
                    lossBursts++;
                }
                lastLost = true;
                continue;
            }
            lastLost = false;
            long release = now;
            if (s.rateBitsPerSecond() > 0) {
                long start = busyUntil - now > 0 ? busyUntil : now;
                long backlogBytes = (long) ((start - now) / 1e9 * s.rateBitsPerSecond() / 8);
                if (backlogBytes + n > s.effectiveQueueBytes()) {
                    queueFrames++;
                    queueBytes += n;
                    continue;
                }
                busyUntil = start + n * 8_000_000_000L / s.rateBitsPerSecond();
                release = busyUntil;
            }
            release += s.delayNanos();
            if (s.reorder() > 0 && random.nextDouble() < s.reorder()) {
                release += s.reorderNanos();
                reordered++;
            }
            slot = enqueue(slot, (int) n, release);
        }
    }

    /** Random loss and bursty loss, independent; the Gilbert–Elliott chain moves on every frame. */
    private boolean lost(LinkSpec s) {
        boolean lost = false;
        LinkSpec.GilbertElliott ge = s.burst();
        if (ge != null) {
            if (bad) {
                lost = ge.lossInBad() > 0 && random.nextDouble() < ge.lossInBad();
                if (random.nextDouble() < ge.r()) {
                    bad = false;
                }
            } else {
                lost = ge.lossInGood() > 0 && random.nextDouble() < ge.lossInGood();
                if (random.nextDouble() < ge.p()) {
                    bad = true;
                }
            }
        }
        return lost || (s.loss() > 0 && random.nextDouble() < s.loss());
    }

    private int takeFree() {
        lock.lock();
        try {
            return freeCount == 0 ? -1 : free[--freeCount];
        } finally {
            lock.unlock();
        }
    }

    /** Puts the frame in the heap and returns the next free slot (-1 if none). */
    private int enqueue(int slot, int n, long release) {
        lock.lock();
        try {
            length[slot] = n;
            long seq = sequence++;
            int i = heapSize++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (before(heapTime[parent], heapSeq[parent], release, seq)) {
                    break;
                }
                heapTime[i] = heapTime[parent];
                heapSeq[i] = heapSeq[parent];
                heapSlot[i] = heapSlot[parent];
                i = parent;
            }
            heapTime[i] = release;
            heapSeq[i] = seq;
            heapSlot[i] = slot;
            if (i == 0) {
                due.signal();
            }
            return freeCount == 0 ? -1 : free[--freeCount];
        } finally {
            lock.unlock();
        }
    }

    private static boolean before(long t1, long s1, long t2, long s2) {
        long d = t1 - t2;
        return d < 0 || (d == 0 && s1 < s2);
    }

    private void send() {
        PacketSocket.Errno e = new PacketSocket.Errno(arena);
        int done = -1;
        lock.lock();
        try {
            while (running) {
                if (done >= 0) {
                    free[freeCount++] = done;
                    done = -1;
                }
                if (heapSize == 0) {
                    due.await(200, TimeUnit.MILLISECONDS);
                    continue;
                }
                long wait = heapTime[0] - System.nanoTime();
                if (wait > 0) {
                    due.awaitNanos(wait);
                    continue;
                }
                int slot = heapSlot[0];
                removeHead();
                lock.unlock();
                try {
                    long n = out.send(e, pool.address() + (long) slot * slotSize, length[slot]);
                    if (n < 0) {
                        sendErrors++;
                    } else {
                        outFrames++;
                        outBytes += n;
                    }
                } finally {
                    lock.lock();
                }
                done = slot;
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    private void removeHead() {
        int last = --heapSize;
        if (last == 0) {
            return;
        }
        long t = heapTime[last];
        long s = heapSeq[last];
        int slot = heapSlot[last];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= last) {
                break;
            }
            if (child + 1 < last && before(heapTime[child + 1], heapSeq[child + 1], heapTime[child], heapSeq[child])) {
                child++;
            }
            if (before(t, s, heapTime[child], heapSeq[child])) {
                break;
            }
            heapTime[i] = heapTime[child];
            heapSeq[i] = heapSeq[child];
            heapSlot[i] = heapSlot[child];
            i = child;
        }
        heapTime[i] = t;
        heapSeq[i] = s;
        heapSlot[i] = slot;
    }

    /** The counters as one line: {@code NAME key=value ...}. */
    String statsLine() {
        return name + " in_frames=" + inFrames + " in_bytes=" + inBytes
                + " out_frames=" + outFrames + " out_bytes=" + outBytes
                + " loss_frames=" + lossFrames + " loss_bytes=" + lossBytes + " loss_bursts=" + lossBursts
                + " queue_frames=" + queueFrames + " queue_bytes=" + queueBytes
                + " nobuf_frames=" + noBufferFrames + " reordered=" + reordered + " send_errors=" + sendErrors;
    }
}
