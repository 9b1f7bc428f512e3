package dev.portico.tunnel;

import dev.portico.core.transport.LinuxNet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One session's live data path: packets read from its device go out on its QUIC connection, and
 * frames that come in go to the device.
 *
 * <ul>
 *   <li>Out: a thread of its own waits on the device with {@code poll}, reads packets, compresses
 *       the small ones when that saves bytes, frames them and hands them to the connection's event
 *       loop in batches. In {@code reliable} mode it waits while the stream is not writable, so the
 *       device's own queue takes the backlog.</li>
 *   <li>In: on the connection's event loop; a frame longer than the MTU, with unknown flags, that
 *       does not expand, or that is not an IP packet is dropped and counted.</li>
 * </ul>
 */
final class Tunnel {

    private static final Logger log = LoggerFactory.getLogger(Tunnel.class);
    private static final int BATCH = 64;
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
        reader = Thread.ofPlatform().daemon().name("tunnel-" + session.name() + "-out").start(this::readLoop);
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

    /** Called when the stream is writable again. */
    void writabilityChanged() {
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
        writabilityChanged();
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

    // ---- device -> tunnel, on the reader thread ----------------------------------------------

    private void readLoop() {
        boolean reliable = session.transport() == SessionConfig.TransportMode.RELIABLE;
        int header = reliable ? FrameCodec.STREAM_HEADER : FrameCodec.DATAGRAM_HEADER;
        Channel target = reliable ? stream : connection;
        ByteBufAllocator alloc = connection.alloc();
        PacketCompressor outbound = new PacketCompressor(session.compress(), session.mtu());
        try (Arena arena = Arena.ofConfined()) {
            int capacity = session.mtu() + 64;
            MemorySegment packet = arena.allocate(capacity, 16);
            ByteBuffer packetBuffer = packet.asByteBuffer();
            ByteBuffer squeezed = ByteBuffer.allocateDirect(capacity + capacity / 255 + 16);
            MemorySegment pollfd = arena.allocate(8, 8);
            MemorySegment pollErrno = TunDevice.errnoSegment(arena);
            LinuxNet.Errno errno = new LinuxNet.Errno(arena);
            List<ByteBuf> batch = new ArrayList<>(BATCH);
            while (running) {
                long n = device.read(errno, packet.address(), capacity);
                if (n == 0) {
                    batch = send(target, batch);
                    device.await(pollfd, pollErrno, POLL_MILLIS);
                    continue;
                }
                if (n < 0) {
                    if (running) {
                        log.warn("session '{}': reading device {} failed: {}", session.name(), device.name(),
                                TunDevice.strerror((int) -n));
                        connection.close();
                    }
                    break;
                }
                int length = (int) n;
                if (length > session.mtu() || (!reliable && header + length > peerDatagramLimit)) {
                    metrics.drop(length > session.mtu() ? SessionMetrics.Drop.OVERSIZE : SessionMetrics.Drop.SEND);
                    continue;
                }
                if (reliable && !stream.isWritable()) {
                    batch = send(target, batch);
                    waitWritable();
                }
                int flags = 0;
                int payload = length;
                ByteBuffer source = packetBuffer.clear().limit(length);
                if (outbound.worthTrying(length)) {
                    int r = outbound.compress(source, squeezed.clear());
                    if (r >= 0) {
                        flags = r >>> 16;
                        payload = r & 0xffff;
                        source = squeezed.clear().limit(payload);
                        metrics.compressed.increment();
                    }
                }
                ByteBuf frame = alloc.directBuffer(header + payload);
                if (reliable) {
                    frame.writeShort(payload);
                }
                frame.writeByte(flags);
                frame.writeBytes(source);
                batch.add(frame);
                metrics.packetsOut.increment();
                metrics.bytesOut.add(length);
                if (batch.size() >= BATCH) {
                    batch = send(target, batch);
                }
            }
            batch.forEach(ByteBuf::release);
        } catch (RuntimeException e) {
            log.warn("session '{}': the device reader stopped: {}", session.name(), e.toString());
            connection.close();
        } finally {
            outbound.close();
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
        return new ArrayList<>(BATCH);
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
