package dev.portico.lb;

import dev.portico.core.net.HostPort;
import dev.portico.core.transport.LinuxNet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One thread of the native TCP engine: an epoll set holding one SO_REUSEPORT listening socket and
 * every connection accepted there with its backend connection. It accepts, relays and times out
 * connections ({@link NativeConnection}), and runs tasks handed to it by other threads (stop
 * accepting, close everything), woken through an eventfd.
 *
 * <p>Sockets are edge-triggered and registered once; the loop keeps what epoll said (readable,
 * waiting for output) in each connection, so no {@code epoll_ctl} call is needed per read or per
 * request. The listening socket is level-triggered, so that a burst larger than one accept round
 * is picked up on the next wait.
 */
final class NativeLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(NativeLoop.class);
    private static final long LISTENER = -1L;
    private static final long WAKE = -2L;
    private static final int MAX_EVENTS = 256;
    private static final int ACCEPTS_PER_ROUND = 64;
    /** How often deadlines (connect and idle timeouts) are checked while connections are open. */
    private static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** Read size: one read's worth is what a direction holds back when its peer is full. */
    static final int BUFFER = 64 * 1024;

    final LbShared shared;
    final LinuxNet.Errno errno;
    final MemorySegment sockaddr;
    final long buffer;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment events;
    private final MemorySegment peer;
    /** Where the loop reads its eventfd's counter. */
    private final MemorySegment wakeWord;
    /** The 1 other threads write to the eventfd; never changed. */
    private final MemorySegment wakeOne;
    /** The errno of calls made by other threads, under this object's lock (the arena outlives them: see run). */
    private final LinuxNet.Errno controlErrno;
    private final int epfd;
    private final int wakeFd;
    private final NativeEngine engine;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final CountDownLatch ended = new CountDownLatch(1);
    private final Thread thread;
    private volatile int listenFd;
    /** Set (under this object's lock) when the loop has ended and closed its descriptors. */
    private boolean dead;
    private NativeConnection[] connections = new NativeConnection[64];
    private int[] freeSlots = new int[64];
    private int freeCount;
    private int highWater;
    private volatile int open;
    private int generation;
    private long nextSweep;
    private long acceptPausedUntil;
    /** The loop's clock, read once per wait. */
    long now;

    private NativeLoop(int listenFd, LbShared shared, NativeEngine engine, String threadName) {
        this.listenFd = listenFd;
        this.shared = shared;
        this.engine = engine;
        this.errno = new LinuxNet.Errno(arena);
        this.events = arena.allocate((long) MAX_EVENTS * LinuxNet.EPOLL_EVENT_SIZE, 8);
        this.peer = arena.allocate(LinuxNet.SOCKADDR_SIZE, 8);
        this.sockaddr = arena.allocate(LinuxNet.SOCKADDR_SIZE, 8);
        this.wakeWord = arena.allocate(8, 8);
        this.wakeOne = arena.allocate(8, 8);
        this.wakeOne.set(ValueLayout.JAVA_LONG, 0, 1L);
        this.controlErrno = new LinuxNet.Errno(arena);
        this.buffer = arena.allocate(BUFFER, 64).address();
        int ep = LinuxNet.epollCreate(errno);
        int wake = ep < 0 ? -1 : LinuxNet.eventfd(errno);
        if (ep < 0 || wake < 0) {
            int code = errno.get();
            if (ep >= 0) {
                LinuxNet.close(errno, ep);
            }
            arena.close();
            throw new IllegalStateException(LinuxNet.error("cannot create an epoll set", code).getMessage());
        }
        this.epfd = ep;
        this.wakeFd = wake;
        LinuxNet.epollCtl(errno, epfd, LinuxNet.EPOLL_CTL_ADD, listenFd, LinuxNet.EPOLLIN, LISTENER);
        LinuxNet.epollCtl(errno, epfd, LinuxNet.EPOLL_CTL_ADD, wakeFd, LinuxNet.EPOLLIN, WAKE);
        this.thread = new Thread(this, threadName);
        this.thread.setDaemon(true);
    }

    /** Starts a loop serving {@code listenFd}, which it then owns. */
    static NativeLoop start(int listenFd, LbShared shared, NativeEngine engine, String threadName) {
        NativeLoop loop = new NativeLoop(listenFd, shared, engine, threadName);
        engine.add(loop);
        loop.thread.start();
        return loop;
    }

    /** Connections open on this loop. */
    int open() {
        return open;
    }

    /**
     * Stops accepting: the listening socket is shut down at once (new connections are refused),
     * then closed by the loop. Accepted connections go on; the thread ends with the last of them.
     */
    void stopAccepting() {
        synchronized (this) {
            int fd = listenFd;
            if (fd < 0 || dead) {
                return;
            }
            LinuxNet.shutdown(controlErrno, fd, LinuxNet.SHUT_RDWR);
        }
        execute(this::closeListener);
    }

    /** Closes every connection of this loop now, and ends it. */
    void closeAll() {
        stopAccepting();
        execute(() -> {
            for (int i = 0; i < highWater; i++) {
                NativeConnection c = connections[i];
                if (c != null) {
                    c.close();
                }
            }
        });
    }

    /** Waits for the thread to end. */
    boolean awaitEnd(long millis) throws InterruptedException {
        return ended.await(millis, TimeUnit.MILLISECONDS);
    }

    /** Runs {@code task} on the loop thread. */
    void execute(Runnable task) {
        synchronized (this) {
            if (dead) {
                return;
            }
            tasks.add(task);
            LinuxNet.write(controlErrno, wakeFd, wakeOne.address(), 8);
        }
    }

    private void closeListener() {
        synchronized (this) {
            int fd = listenFd;
            if (fd >= 0) {
                listenFd = -1;
                LinuxNet.close(errno, fd);
            }
        }
    }

    @Override
    public void run() {
        try {
            loop();
        } catch (RuntimeException | Error e) {
            log.error("{}: native loop {} failed; closing its connections", shared.name(), thread.getName(), e);
            for (int i = 0; i < highWater; i++) {
                NativeConnection c = connections[i];
                if (c != null) {
                    c.close();
                }
            }
        } finally {
            synchronized (this) {
                dead = true;
                int fd = listenFd;
                listenFd = -1;
                if (fd >= 0) {
                    LinuxNet.close(errno, fd);
                }
                LinuxNet.close(errno, wakeFd);
                LinuxNet.close(errno, epfd);
            }
            engine.remove(this);
            ended.countDown();
            arena.close();
        }
    }

    private void loop() {
        now = System.nanoTime();
        nextSweep = now + SWEEP_NANOS;
        while (listenFd >= 0 || open > 0 || !tasks.isEmpty()) {
            int timeout = open > 0 || acceptPausedUntil != 0
                    ? (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextSweep - now) + 1) : 1000;
            int n = LinuxNet.epollWait(errno, epfd, events, MAX_EVENTS, timeout);
            now = System.nanoTime();
            if (n < 0 && errno.get() != LinuxNet.EINTR) {
                throw new IllegalStateException(LinuxNet.error("epoll_wait", errno.get()).getMessage());
            }
            for (int i = 0; i < n; i++) {
                long token = LinuxNet.eventToken(events, i);
                if (token == LISTENER) {
                    accept();
                } else if (token == WAKE) {
                    LinuxNet.read(errno, wakeFd, wakeWord.address(), 8);
                } else {
                    NativeConnection c = connections[(int) (token >>> 32)];
                    if (c != null && c.generation == (int) (token & 0xFFFFFFFFL) >>> 1) {
                        c.onEvent((token & 1) != 0, LinuxNet.eventMask(events, i));
                    }
                }
            }
            Runnable task;
            while ((task = tasks.poll()) != null) {
                task.run();
            }
            if (now - nextSweep >= 0) {
                sweep();
                nextSweep = now + SWEEP_NANOS;
            }
        }
    }

    private void accept() {
        for (int i = 0; i < ACCEPTS_PER_ROUND; i++) {
            int fd = listenFd;
            if (fd < 0) {
                return;
            }
            int client = LinuxNet.accept(errno, fd, peer);
            if (client < 0) {
                int code = errno.get();
                if (code == LinuxNet.EAGAIN || code == LinuxNet.EINTR) {
                    return;
                }
                if (code == 24 || code == 23 || code == 105 || code == 12) {
                    // EMFILE, ENFILE, ENOBUFS, ENOMEM: stop accepting for a moment instead of
                    // spinning on a listener that stays readable.
                    shared.noBackendLog().warn("{}: cannot accept: {}; pausing accepts for 100 ms", shared.name(),
                            LinuxNet.message(code));
                    LinuxNet.epollCtl(errno, epfd, LinuxNet.EPOLL_CTL_MOD, fd, 0, LISTENER);
                    acceptPausedUntil = now + TimeUnit.MILLISECONDS.toNanos(100);
                    return;
                }
                continue; // ECONNABORTED and the like: that one connection is gone
            }
            NativeConnection.accept(this, client, LinuxNet.readSockaddr(peer));
        }
    }

    /** Takes a slot for a new connection; its events carry the slot and a generation. */
    int register(NativeConnection c) {
        int slot;
        if (freeCount > 0) {
            slot = freeSlots[--freeCount];
        } else {
            if (highWater == connections.length) {
                connections = java.util.Arrays.copyOf(connections, highWater * 2);
                freeSlots = java.util.Arrays.copyOf(freeSlots, highWater * 2);
            }
            slot = highWater++;
        }
        connections[slot] = c;
        open++;
        return slot;
    }

    int nextGeneration() {
        generation = (generation + 1) & 0x7FFFFFFF;
        return generation;
    }

    void release(int slot) {
        connections[slot] = null;
        freeSlots[freeCount++] = slot;
        open--;
    }

    /** The epoll token of one side of a connection. */
    static long token(int slot, int generation, boolean backend) {
        return ((long) slot << 32) | ((long) generation << 1) | (backend ? 1 : 0);
    }

    int epfd() {
        return epfd;
    }

    /**
     * The address to connect to for a backend: IP literals from the service's dialer, which
     * parses each once; names from the dialer's lookups, which never run on this loop. Null while
     * a name's first lookup is under way: {@code waiting} is then told on this loop once it is over.
     */
    InetSocketAddress target(HostPort address, NativeConnection waiting) {
        InetSocketAddress a = shared.dialer().target(address);
        return a.isUnresolved() ? shared.dialer().resolvedName(address, now, () -> execute(waiting::looked)) : a;
    }

    private void sweep() {
        if (acceptPausedUntil != 0 && now - acceptPausedUntil >= 0) {
            acceptPausedUntil = 0;
            if (listenFd >= 0) {
                LinuxNet.epollCtl(errno, epfd, LinuxNet.EPOLL_CTL_MOD, listenFd, LinuxNet.EPOLLIN, LISTENER);
            }
        }
        for (int i = 0; i < highWater; i++) {
            NativeConnection c = connections[i];
            if (c != null) {
                c.checkDeadlines();
            }
        }
    }
}
