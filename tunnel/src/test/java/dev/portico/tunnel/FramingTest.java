package dev.portico.tunnel;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stream framing and the inbound checks, through the real decoder on an embedded channel:
 * whole, split and coalesced frames arrive; frames longer than the MTU, with unknown flags, empty,
 * not IP, or that do not expand are dropped and counted, and the frames after them still arrive.
 */
class FramingTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final SessionMetrics metrics = new SessionMetrics("wan", "warp1", registry);
    private final List<byte[]> written = new ArrayList<>();
    private Inbound inbound;

    private EmbeddedChannel channel(SessionConfig.Compression c, int mtu) {
        SessionConfig s = SessionConfig.builder("warp1").local(InetAddress.ofLiteral("10.0.0.1"))
                .peer(InetAddress.ofLiteral("10.0.0.2")).token("t").mtu(mtu).compress(c).build();
        inbound = new Inbound(s, (address, length) -> {
            written.add(MemorySegment.ofAddress(address).reinterpret(length).toArray(ValueLayout.JAVA_BYTE));
            return true;
        }, metrics);
        Link link = new Link("test");
        link.metrics(metrics);
        link.inbound(inbound);
        return new EmbeddedChannel(link.new Frames());
    }

    @AfterEach
    void close() {
        if (inbound != null) {
            inbound.close();
        }
        metrics.close();
    }

    /** An IPv4 packet of {@code length} bytes whose total-length field is right. */
    static byte[] ipv4(int length, long seed) {
        byte[] p = new byte[length];
        new Random(seed).nextBytes(p);
        p[0] = 0x45;
        p[2] = (byte) (length >>> 8);
        p[3] = (byte) length;
        return p;
    }

    static ByteBuf frame(int flags, byte[] payload) {
        return Unpooled.buffer().writeShort(payload.length).writeByte(flags).writeBytes(payload);
    }

    @Test
    void framesWholeSplitAndCoalescedArrive() {
        EmbeddedChannel ch = channel(SessionConfig.Compression.OFF, 1380);
        byte[] a = ipv4(1380, 1);
        byte[] b = ipv4(40, 2);
        byte[] c = ipv4(600, 3);
        ByteBuf all = Unpooled.buffer().writeBytes(frame(0, a)).writeBytes(frame(0, b)).writeBytes(frame(0, c));
        all.writerIndex();
        // in three pieces cut mid-header and mid-packet
        ch.writeInbound(all.readRetainedSlice(2));
        ch.writeInbound(all.readRetainedSlice(1000));
        ch.writeInbound(all.readRetainedSlice(all.readableBytes()));
        all.release();
        assertThat(written).containsExactly(a, b, c);
        assertThat(metrics.packetsIn.sum()).isEqualTo(3);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void keepalivesAreTakenAndNotWritten() {
        EmbeddedChannel ch = channel(SessionConfig.Compression.OFF, 1380);
        ch.writeInbound(frame(FrameCodec.FLAG_KEEPALIVE, new byte[0]));
        assertThat(written).isEmpty();
        for (SessionMetrics.Drop d : SessionMetrics.Drop.values()) {
            assertThat(metrics.dropped(d)).isZero();
        }
    }

    @Test
    void longerThanTheMtuIsDroppedAndTheNextFrameStillArrives() {
        EmbeddedChannel ch = channel(SessionConfig.Compression.OFF, 1380);
        byte[] big = ipv4(9000, 4);
        byte[] ok = ipv4(100, 5);
        ch.writeInbound(frame(0, big), frame(0, ok));
        assertThat(written).containsExactly(ok);
        assertThat(metrics.dropped(SessionMetrics.Drop.OVERSIZE)).isEqualTo(1);
    }

    @Test
    void malformedFramesAreDroppedAndCounted() {
        EmbeddedChannel ch = channel(SessionConfig.Compression.OFF, 1380);
        byte[] notIp = ipv4(100, 6);
        notIp[0] = 0x15; // version 1
        byte[] wrongLength = ipv4(100, 7);
        wrongLength[3] = 99;
        byte[] ok = ipv4(60, 8);
        ch.writeInbound(frame(0x40, ipv4(60, 9)), // unknown flag
                frame(0, new byte[0]), // empty
                frame(0, notIp), frame(0, wrongLength),
                frame(FrameCodec.FLAG_ZLIB, new byte[] {1, 2, 3, 4}), // not zlib
                frame(FrameCodec.FLAG_LZ4, new byte[] {(byte) 0xf0, 0, 0}), // not lz4
                frame(FrameCodec.FLAG_KEEPALIVE, new byte[] {1}), // keep-alive with a body
                frame(0, ok));
        assertThat(written).containsExactly(ok);
        assertThat(metrics.dropped(SessionMetrics.Drop.MALFORMED)).isEqualTo(7);
    }

    @Test
    void randomBytesNeverCrashTheDecoder() {
        EmbeddedChannel ch = channel(SessionConfig.Compression.LZ4, 1380);
        Random r = new Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] junk = new byte[r.nextInt(3000)];
            r.nextBytes(junk);
            ch.writeInbound(Unpooled.wrappedBuffer(junk));
        }
        assertThat(ch.isActive()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void compressedPacketsExpandToTheOriginal() {
        for (SessionConfig.Compression c : List.of(SessionConfig.Compression.ZLIB, SessionConfig.Compression.LZ4)) {
            written.clear();
            EmbeddedChannel ch = channel(c, 1380);
            byte[] packet = new byte[800];
            packet[0] = 0x45;
            packet[2] = (byte) (800 >>> 8);
            packet[3] = (byte) (800 & 0xff); // the rest zeros: compresses well
            PacketCompressor out = new PacketCompressor(c, 1380);
            ByteBuffer dst = ByteBuffer.allocateDirect(2000);
            assertThat(out.worthTrying(800)).isTrue();
            int r = out.compress(ByteBuffer.wrap(packet), dst);
            assertThat(r).isPositive();
            int flags = r >>> 16;
            int n = r & 0xffff;
            assertThat(n).isLessThan(100);
            byte[] squeezed = new byte[n];
            dst.get(0, squeezed);
            ch.writeInbound(frame(flags, squeezed));
            assertThat(written).containsExactly(packet);
            out.close();
            inbound.close();
        }
    }

    @Test
    void compressionOnlyWhenWorthIt() {
        PacketCompressor z = new PacketCompressor(SessionConfig.Compression.ZLIB, 1380);
        assertThat(z.worthTrying(1280)).isFalse(); // not under mtu - 100
        assertThat(z.worthTrying(1279)).isTrue();
        byte[] random = new byte[1000];
        new Random(1).nextBytes(random);
        assertThat(z.compress(ByteBuffer.wrap(random), ByteBuffer.allocateDirect(2000))).isEqualTo(-1);
        assertThat(new PacketCompressor(SessionConfig.Compression.OFF, 1380).worthTrying(100)).isFalse();
        z.close();
    }

    @Test
    void aCompressedFrameThatWouldExpandPastTheMtuIsDropped() throws Exception {
        EmbeddedChannel ch = channel(SessionConfig.Compression.ZLIB, 1380);
        byte[] huge = new byte[60_000]; // zeros: a bomb of a few hundred bytes
        java.util.zip.Deflater d = new java.util.zip.Deflater();
        d.setInput(huge);
        d.finish();
        byte[] out = new byte[2000];
        int n = d.deflate(out);
        d.end();
        ch.writeInbound(frame(FrameCodec.FLAG_ZLIB, java.util.Arrays.copyOf(out, n)));
        assertThat(written).isEmpty();
        assertThat(metrics.dropped(SessionMetrics.Drop.MALFORMED)).isEqualTo(1);
    }
}
