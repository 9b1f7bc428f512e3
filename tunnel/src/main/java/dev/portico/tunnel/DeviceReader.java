package dev.portico.tunnel;

import dev.portico.core.transport.LinuxNet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.function.IntSupplier;

/**
 * Packets from the device to the connection, a batch at a time: each packet is read straight
 * into the pooled direct buffer of its frame (after the room for the frame's header), compressed
 * in place when that is worth trying and saves bytes, framed, and written to the {@link Target}.
 * One {@link #drain} reads until the device has nothing more or {@link #BATCH} packets were read,
 * then flushes once; a single packet is flushed at once, nothing waits for a batch to fill.
 *
 * <p>Not thread-safe: one thread drives it (the connection's event loop, or a reader thread).
 */
final class DeviceReader implements AutoCloseable {

    /** Packets one {@link #drain} reads at most before it flushes and returns. */
    static final int BATCH = 64;
    /** {@link #drain}: the device has no packet left. */
    static final int EMPTY = 0;
    /** {@link #drain}: {@link #BATCH} packets were read; the device may have more. */
    static final int MORE = 1;
    /** {@link #drain}: the target took no more frames (a reliable stream that is not writable). */
    static final int BLOCKED = 2;

    /** Where frames go. */
    interface Target {
        /** Whether a frame may be written now; only asked in {@code reliable} mode. */
        boolean writable();

        /** Takes one frame (and its reference). */
        void write(ByteBuf frame);

        /** Sends what {@link #write} took. */
        void flush();
    }

    private final SessionConfig session;
    private final TunDevice device;
    private final Target target;
    private final ByteBufAllocator alloc;
    private final SessionMetrics metrics;
    private final IntSupplier peerDatagramLimit;
    private final boolean reliable;
    private final int header;
    private final int capacity;
    private final PacketCompressor compressor;
    private final ByteBuffer squeezed;

    /**
     * @param peerDatagramLimit the largest DATAGRAM frame the peer takes ({@code datagram} mode)
     */
    DeviceReader(SessionConfig session, TunDevice device, Target target, ByteBufAllocator alloc,
                 SessionMetrics metrics, IntSupplier peerDatagramLimit) {
        this.session = session;
        this.device = device;
        this.target = target;
        this.alloc = alloc;
        this.metrics = metrics;
        this.peerDatagramLimit = peerDatagramLimit;
        this.reliable = session.transport() == SessionConfig.TransportMode.RELIABLE;
        this.header = reliable ? FrameCodec.STREAM_HEADER : FrameCodec.DATAGRAM_HEADER;
        this.capacity = session.mtu() + 64; // room to see (and count) a packet longer than the MTU
        this.compressor = new PacketCompressor(session.compress(), session.mtu());
        this.squeezed = session.compress() == SessionConfig.Compression.OFF
                ? null : ByteBuffer.allocateDirect(capacity + capacity / 255 + 16);
    }

    /**
     * Reads packets and writes their frames until the device is empty, {@link #BATCH} packets
     * were read, or the target is not writable; flushes once when it wrote anything.
     *
     * @return {@link #EMPTY}, {@link #MORE} or {@link #BLOCKED}, or -errno when reading failed
     */
    int drain(LinuxNet.Errno errno) {
        int written = 0;
        int result = MORE;
        for (int i = 0; i < BATCH; i++) {
            if (reliable && !target.writable()) {
                result = BLOCKED;
                break;
            }
            ByteBuf frame = alloc.directBuffer(header + capacity);
            long n;
            try {
                n = device.read(errno, address(frame, header), capacity);
            } catch (RuntimeException e) {
                frame.release();
                throw e;
            }
            if (n <= 0) {
                frame.release();
                result = n == 0 ? EMPTY : (int) n;
                break;
            }
            int length = (int) n;
            if (length > session.mtu() || (!reliable && header + length > peerDatagramLimit.getAsInt())) {
                frame.release();
                metrics.drop(length > session.mtu() ? SessionMetrics.Drop.OVERSIZE : SessionMetrics.Drop.SEND);
                continue;
            }
            int flags = 0;
            int payload = length;
            if (squeezed != null && compressor.worthTrying(length)) {
                int r = compressor.compress(frame.internalNioBuffer(header, length), squeezed.clear());
                if (r >= 0) {
                    flags = r >>> 16;
                    payload = r & 0xffff;
                    frame.setBytes(header, squeezed.clear().limit(payload));
                    metrics.compressed.increment();
                }
            }
            if (reliable) {
                frame.setShort(0, payload);
                frame.setByte(2, flags);
            } else {
                frame.setByte(0, flags);
            }
            frame.writerIndex(header + payload);
            target.write(frame);
            written++;
            metrics.packetsOut.increment();
            metrics.bytesOut.add(length);
        }
        if (written > 0) {
            target.flush();
        }
        return result;
    }

    /** The native address of {@code buf}'s byte at {@code index}. */
    private static long address(ByteBuf buf, int index) {
        if (buf.hasMemoryAddress()) {
            return buf.memoryAddress() + index;
        }
        return MemorySegment.ofBuffer(buf.internalNioBuffer(index, buf.capacity() - index)).address();
    }

    @Override
    public void close() {
        compressor.close();
    }
}
