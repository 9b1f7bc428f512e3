package dev.portico.tunnel;

import io.netty.buffer.ByteBuf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Frames from the tunnel to the device, on the connection's event loop: keep-alives are taken,
 * and a frame longer than the MTU, with unknown flags, empty, that does not expand, or that is not
 * an IP packet is dropped and counted. Nothing is kept of the frame's buffer; a packet goes to
 * the device from the buffer's own memory when it is native, else through a scratch area.
 */
final class Inbound implements FrameSink, AutoCloseable {

    /** Where packets go: the device, or a test's recorder. */
    interface Sink {
        /** Takes {@code length} bytes at native {@code address}; false when refused. */
        boolean write(long address, int length);
    }

    private final int mtu;
    private final Sink sink;
    private final SessionMetrics metrics;
    private final PacketCompressor compressor;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment scratch;
    private final ByteBuffer scratchBuffer;
    private volatile boolean open = true;

    Inbound(SessionConfig session, Sink sink, SessionMetrics metrics) {
        this.mtu = session.mtu();
        this.sink = sink;
        this.metrics = metrics;
        this.compressor = new PacketCompressor(session.compress(), session.mtu());
        this.scratch = arena.allocate(session.mtu() + 64L, 16);
        this.scratchBuffer = scratch.asByteBuffer();
    }

    /** One frame's packet from {@code buf} at {@code index}, {@code length} bytes, with its flags. */
    @Override
    public void deliver(int flags, ByteBuf buf, int index, int length) {
        if (flags == FrameCodec.FLAG_KEEPALIVE && length == 0) {
            return;
        }
        if (!FrameCodec.knownFlags(flags) || flags == FrameCodec.FLAG_KEEPALIVE || length == 0) {
            metrics.drop(SessionMetrics.Drop.MALFORMED);
            return;
        }
        if (length > mtu) {
            metrics.drop(SessionMetrics.Drop.OVERSIZE);
            return;
        }
        if (!open) {
            metrics.drop(SessionMetrics.Drop.DEVICE);
            return;
        }
        long address;
        int size;
        byte first;
        int totalField;
        if (flags != 0) {
            size = compressor.expand(flags, buf.nioBuffer(index, length), scratchBuffer);
            if (size <= 0) {
                metrics.drop(SessionMetrics.Drop.MALFORMED);
                return;
            }
            address = scratch.address();
            first = scratchBuffer.get(0);
            totalField = size < 6 ? -1 : Short.toUnsignedInt(scratchBuffer.getShort((first & 0xf0) == 0x60 ? 4 : 2));
        } else {
            size = length;
            first = buf.getByte(index);
            totalField = size < 6 ? -1 : buf.getUnsignedShort(index + ((first & 0xf0) == 0x60 ? 4 : 2));
            if (buf.hasMemoryAddress()) {
                address = buf.memoryAddress() + index;
            } else {
                buf.getBytes(index, scratchBuffer.clear().limit(length));
                address = scratch.address();
            }
        }
        if (!FrameCodec.plausibleIp(first, totalField, size)) {
            metrics.drop(SessionMetrics.Drop.MALFORMED);
            return;
        }
        if (!sink.write(address, size)) {
            metrics.drop(SessionMetrics.Drop.DEVICE);
            return;
        }
        metrics.packetsIn.increment();
        metrics.bytesIn.add(size);
    }

    /** Frees the scratch area; call on the event loop, after the last {@link #deliver}. */
    @Override
    public void close() {
        if (open) {
            open = false;
            compressor.close();
            arena.close();
        }
    }
}
