package dev.portico.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionPathStats;
import io.netty.handler.codec.quic.QuicConnectionStats;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One side of a relay ({@code relay: ["a:b"]}): a session without a device whose frames go to the
 * other session's connection, as 3wdd relayed them. A frame keeps its flags, so a compressed
 * packet passes through compressed; when both sessions use the same transport its payload is
 * copied as it came, otherwise it is re-framed (a stream frame's length prefix added or taken
 * off). Frames for a side that is not up, for a DATAGRAM frame longer than the other peer takes,
 * or while the other stream cannot take more are dropped and counted: the inner flows
 * retransmit, as over any lossy link. Keep-alives are each connection's own and are not passed on.
 */
final class RelayEnd implements FrameSink {

    private final SessionConfig session;
    private final QuicChannel connection;
    private final QuicStreamChannel stream;
    private final SessionMetrics metrics;
    private final long keepaliveMillis;
    private final Function<String, RelayEnd> others;
    private final String other;
    private final EventLoop loop;
    private volatile int peerDatagramLimit;
    private ScheduledFuture<?> keepalive;

    /**
     * @param other  the session at the relay's other end
     * @param others the live end of a session, or null
     */
    RelayEnd(SessionConfig session, QuicChannel connection, QuicStreamChannel stream, SessionMetrics metrics,
             long keepaliveMillis, int datagramLimit, String other, Function<String, RelayEnd> others) {
        this.session = session;
        this.connection = connection;
        this.stream = stream;
        this.metrics = metrics;
        this.keepaliveMillis = keepaliveMillis;
        this.peerDatagramLimit = datagramLimit;
        this.other = other;
        this.others = others;
        this.loop = connection.eventLoop();
    }

    SessionConfig session() {
        return session;
    }

    QuicChannel connection() {
        return connection;
    }

    /** The session at the other end. */
    String other() {
        return other;
    }

    void peerDatagramLimit(int max) {
        peerDatagramLimit = max;
    }

    void start() {
        metrics.up(true);
        loop.execute(() -> keepalive = loop.scheduleAtFixedRate(this::tick, 0, keepaliveMillis, TimeUnit.MILLISECONDS));
    }

    void stop() {
        metrics.up(false);
        if (!loop.isShuttingDown()) {
            loop.execute(() -> {
                if (keepalive != null) {
                    keepalive.cancel(false);
                }
            });
        }
    }

    @Override
    public void deliver(int flags, ByteBuf buf, int index, int length) {
        if (flags == FrameCodec.FLAG_KEEPALIVE && length == 0) {
            return;
        }
        if (!FrameCodec.knownFlags(flags) || flags == FrameCodec.FLAG_KEEPALIVE || length == 0) {
            metrics.drop(SessionMetrics.Drop.MALFORMED);
            return;
        }
        if (length > session.mtu()) {
            metrics.drop(SessionMetrics.Drop.OVERSIZE);
            return;
        }
        RelayEnd to = others.apply(other);
        if (to == null || !to.connection.isActive()) {
            metrics.drop(SessionMetrics.Drop.DEVICE);
            return;
        }
        metrics.packetsIn.increment();
        metrics.bytesIn.add(length);
        to.send(flags, buf, index, length);
    }

    /** Sends one frame's payload to this end's peer, in this end's framing; any thread. */
    private void send(int flags, ByteBuf buf, int index, int length) {
        boolean reliable = session.transport() == SessionConfig.TransportMode.RELIABLE;
        if (!reliable && FrameCodec.DATAGRAM_HEADER + length > peerDatagramLimit) {
            metrics.drop(SessionMetrics.Drop.SEND);
            return;
        }
        ByteBuf frame = connection.alloc().directBuffer((reliable ? FrameCodec.STREAM_HEADER : FrameCodec.DATAGRAM_HEADER)
                + length);
        if (reliable) {
            frame.writeShort(length);
        }
        frame.writeByte(flags);
        frame.writeBytes(buf, index, length);
        if (loop.inEventLoop()) {
            write(frame, length, reliable);
        } else {
            loop.execute(() -> write(frame, length, reliable));
        }
    }

    private void write(ByteBuf frame, int length, boolean reliable) {
        if (!connection.isActive() || (reliable && !stream.isWritable())) {
            frame.release();
            metrics.drop(SessionMetrics.Drop.SEND);
            return;
        }
        if (reliable) {
            stream.writeAndFlush(frame, stream.voidPromise());
        } else {
            connection.writeAndFlush(frame, connection.voidPromise());
        }
        metrics.packetsOut.increment();
        metrics.bytesOut.add(length);
    }

    private void tick() {
        if (!connection.isActive()) {
            return;
        }
        ByteBuf ka = stream.alloc().buffer(FrameCodec.STREAM_HEADER);
        ka.writeShort(0).writeByte(FrameCodec.FLAG_KEEPALIVE);
        stream.writeAndFlush(ka, stream.voidPromise());
        connection.collectPathStats(0).addListener(f -> {
            if (f.isSuccess()) {
                metrics.path((QuicConnectionPathStats) f.getNow());
            }
        });
        connection.collectStats().addListener(f -> {
            if (f.isSuccess()) {
                metrics.connection((QuicConnectionStats) f.getNow());
            }
        });
    }
}
