package dev.portico.tunnel;

import dev.portico.core.transport.LinuxNet;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One session's live data path: packets read from its device go out on its QUIC connection, and
 * frames that come in go to the device.
 *
 * <ul>
 *   <li>Out: a {@link DeviceReader} reads packets, compresses the small ones when that saves
 *       bytes and frames them. On an epoll loop the loop itself polls the device
 *       ({@link LoopDeviceReader}), so a packet is read, framed, written and flushed in one
 *       wake-up of one thread; elsewhere a thread of its own waits on the device with
 *       {@code poll} and hands batches to the loop. In {@code reliable} mode reading stops while
 *       the stream is not writable, so the device's own queue takes the backlog.</li>
 *   <li>In: on the connection's event loop; a frame longer than the MTU, with unknown flags, that
 *       does not expand, or that is not an IP packet is dropped and counted.</li>
 * </ul>
 */
final class Tunnel {

    private static final Logger log = LoggerFactory.getLogger(Tunnel.class);
    private static final int POLL_MILLIS = 200;

    private final SessionConfig session;
    private final QuicChannel connection;
    private final QuicStreamChannel stream;
    private final TunDevice device;
    private final SessionMetrics metrics;
    private final long keepaliveMillis;
    private final int datagramLimit;
    private final EventLoop loop;
    private final Object writable = new Object();
    private final Inbound inbound;
    private final Arena inArena = Arena.ofShared();
    private final LinuxNet.Errno inErrno;
    private volatile boolean running;
    private volatile int peerDatagramLimit;
    private Thread reader;
    private volatile LoopDeviceReader loopReader;
    private ScheduledFuture<?> keepalive;

    /**
     * @param datagramLimit the largest DATAGRAM frame this side's settings allow
     */
    Tunnel(SessionConfig session, QuicChannel connection, QuicStreamChannel stream, TunDevice device,
           SessionMetrics metrics, long keepaliveMillis, int datagramLimit) {
        this.session = session;
        this.connection = connection;
        this.stream = stream;
        this.device = device;
        this.metrics = metrics;
        this.keepaliveMillis = keepaliveMillis;
        this.datagramLimit = datagramLimit;
        this.peerDatagramLimit = datagramLimit;
        this.loop = connection.eventLoop();
        this.inErrno = new LinuxNet.Errno(inArena);
        this.inbound = new Inbound(session, (address, length) -> device.write(inErrno, address, length), metrics);
    }

    SessionConfig session() {
        return session;
    }

    QuicChannel connection() {
        return connection;
    }

    String device() {
        return device.name();
    }

    /** Starts both directions and the keep-alives. */
    void start() {
        running = true;
        metrics.up(true);
        if (LoopDeviceReader.supports(loop)) {
            loopReader = new LoopDeviceReader(newReader(direct()), device, loop, inArena, this::readFailed);
            loopReader.start().addListener(f -> {
                if (!f.isSuccess()) {
                    log.warn("session '{}': the event loop cannot poll device {}: {}", session.name(), device.name(),
                            f.cause().toString());
                    connection.close();
                }
            });
        } else {
            reader = Thread.ofPlatform().daemon().name("tunnel-" + session.name() + "-out").start(this::readLoop);
        }
        loop.execute(() -> keepalive = loop.scheduleAtFixedRate(this::tick, 0, keepaliveMillis, TimeUnit.MILLISECONDS));
    }

    /** The peer's DATAGRAM limit, from the extension event. */
    void peerDatagramLimit(int max) {
        peerDatagramLimit = max;
        if (session.transport() == SessionConfig.TransportMode.DATAGRAM && max - FrameCodec.DATAGRAM_HEADER < session.mtu()) {
            log.warn("session '{}': the peer takes DATAGRAM frames of at most {} bytes, less than mtu {} plus {}; "
                    + "longer packets are dropped (lower mtu or raise udp_payload on both sides)", session.name(), max,
                    session.mtu(), FrameCodec.DATAGRAM_HEADER);
        }
    }

    /**
     * Called on the loop when the connection finished reading a batch of packets: reads what the
     * device has ready, so that its replies ride with QUIC's acknowledgement (see
     * {@link LoopDeviceReader#poll}).
     */
    void readComplete() {
        LoopDeviceReader r = loopReader;
        if (r != null && running) {
            r.poll();
        }
    }

    /** Called on the loop when the stream's writability changed. */
    void writabilityChanged() {
        LoopDeviceReader r = loopReader;
        if (r != null && stream.isWritable()) {
            r.resume();
        }
        synchronized (writable) {
            writable.notifyAll();
        }
    }

    /**
     * Stops both directions and closes the device; waits for the reader thread. Blocking; the
     * connection is closed by the caller.
     */
    void stop() {
        running = false;
        metrics.up(false);
        synchronized (writable) {
            writable.notifyAll();
        }
        Thread r = reader;
        if (r != null && r != Thread.currentThread()) {
            try {
                r.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // the device is closed on the loop, after any write in progress there
        if (loop.isShutdown()) {
            closeInbound();
        } else {
            try {
                loop.submit(this::closeInbound).get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                closeInbound();
            }
        }
    }

    private void closeInbound() {
        if (keepalive != null) {
            keepalive.cancel(false);
        }
        if (loopReader != null) {
            loopReader.close(); // stops polling before the descriptor closes
        }
        inbound.close();
        device.close();
        inArena.close();
    }

    private void tick() {
        if (!running || !connection.isActive()) {
            return;
        }
        ByteBuf ka = stream.alloc().buffer(FrameCodec.STREAM_HEADER);
        ka.writeShort(0).writeByte(FrameCodec.FLAG_KEEPALIVE);
        stream.writeAndFlush(ka, stream.voidPromise());
        connection.collectPathStats(0).addListener(f -> {
            if (f.isSuccess()) {
                metrics.path((io.netty.handler.codec.quic.QuicConnectionPathStats) f.getNow());
            }
        });
        connection.collectStats().addListener(f -> {
            if (f.isSuccess()) {
                metrics.connection((io.netty.handler.codec.quic.QuicConnectionStats) f.getNow());
            }
        });
    }

    // ---- device -> tunnel ------------------------------------------------------------------

    private DeviceReader newReader(DeviceReader.Target target) {
        return new DeviceReader(session, device, target, connection.alloc(), metrics, () -> peerDatagramLimit);
    }

    /** Frames written and flushed on the loop, by the loop's own device reader. */
    private DeviceReader.Target direct() {
        Channel target = session.transport() == SessionConfig.TransportMode.RELIABLE ? stream : connection;
        return new DeviceReader.Target() {
            @Override
            public boolean writable() {
                return stream.isWritable();
            }

            @Override
            public void write(ByteBuf frame) {
                target.write(frame, target.voidPromise());
            }

            @Override
            public void flush() {
                target.flush();
            }
        };
    }

    private void readFailed(int errno) {
        if (running) {
            log.warn("session '{}': reading device {} failed: {}", session.name(), device.name(), TunDevice.strerror(errno));
            connection.close();
        }
    }

    /** Where the loop cannot poll the device: a thread waits on it with {@code poll}. */
    private void readLoop() {
        HandOff handOff = new HandOff();
        try (Arena arena = Arena.ofConfined(); DeviceReader frames = newReader(handOff)) {
            MemorySegment pollfd = arena.allocate(8, 8);
            MemorySegment pollErrno = TunDevice.errnoSegment(arena);
            LinuxNet.Errno errno = new LinuxNet.Errno(arena);
            while (running) {
                int r = frames.drain(errno);
                if (r == DeviceReader.EMPTY) {
                    device.await(pollfd, pollErrno, POLL_MILLIS);
                } else if (r == DeviceReader.BLOCKED) {
                    waitWritable();
                } else if (r < 0) {
                    readFailed(-r);
                    break;
                }
            }
            handOff.releasePending();
        } catch (RuntimeException e) {
            log.warn("session '{}': the device reader stopped: {}", session.name(), e.toString());
            connection.close();
        }
    }

    /** The reader thread's target: frames gathered, then handed to the loop a batch at a time. */
    private final class HandOff implements DeviceReader.Target {
        private final Channel target = session.transport() == SessionConfig.TransportMode.RELIABLE ? stream : connection;
        private List<ByteBuf> pending = new ArrayList<>(DeviceReader.BATCH);

        @Override
        public boolean writable() {
            return stream.isWritable();
        }

        @Override
        public void write(ByteBuf frame) {
            pending.add(frame);
        }

        @Override
        public void flush() {
            pending = send(target, pending);
        }

        /** Frees what was read but never handed over (the reader stops). */
        void releasePending() {
            pending.forEach(ByteBuf::release);
        }
    }

    /** Hands a batch to the event loop, which writes it and flushes once; returns a fresh list. */
    private List<ByteBuf> send(Channel target, List<ByteBuf> batch) {
        if (batch.isEmpty()) {
            return batch;
        }
        loop.execute(() -> {
            if (!target.isActive()) {
                batch.forEach(ByteBuf::release);
                return;
            }
            for (ByteBuf b : batch) {
                target.write(b, target.voidPromise());
            }
            target.flush();
        });
        return new ArrayList<>(DeviceReader.BATCH);
    }

    private void waitWritable() {
        synchronized (writable) {
            while (running && stream.isActive() && !stream.isWritable()) {
                try {
                    writable.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The frames-to-device side, for the connection's handlers. */
    Inbound inbound() {
        return inbound;
    }
}
