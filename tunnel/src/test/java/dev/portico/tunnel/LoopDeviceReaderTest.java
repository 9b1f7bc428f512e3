package dev.portico.tunnel;

import dev.portico.core.transport.LinuxNet;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Packets from the device to the connection, read by the connection's own epoll event loop: a
 * lone packet is read, framed, written and flushed by the loop in the wake-up that saw it, with
 * no second thread, no timer and no batch to fill; a packet already waiting is taken at once by
 * {@link LoopDeviceReader#poll} (so replies ride with QUIC's acknowledgement); while a reliable
 * stream is not writable the device is left alone, and reading resumes when it is.
 *
 * <p>The device is a non-blocking pipe, which gives back one packet a read when one is written at
 * a time.
 */
class LoopDeviceReaderTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final SessionMetrics metrics = new SessionMetrics("wan", "warp1", registry);
    private final Arena arena = Arena.ofShared();
    private final List<byte[]> frames = new ArrayList<>();
    private final List<Boolean> onLoop = new ArrayList<>();
    private final AtomicInteger flushes = new AtomicInteger();
    private volatile boolean writable = true;
    private EventLoopGroup group;
    private EventLoop loop;
    private TunDevice device;
    private int writeEnd = -1;
    private LoopDeviceReader reader;

    @BeforeEach
    void setUp() {
        assumeTrue(Epoll.isAvailable(), () -> "epoll is not available: " + Epoll.unavailabilityCause());
        assumeTrue(LinuxNet.available(), "native access is not allowed");
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        loop = group.next();
        long pipe = LinuxNet.pipe(new LinuxNet.Errno(arena));
        assertThat(pipe).as("pipe2").isNotEqualTo(-1L);
        device = TunDevice.adopt("pipe", (int) (pipe >>> 32));
        writeEnd = (int) pipe;
    }

    @AfterEach
    void tearDown() throws Exception {
        if (loop != null) {
            loop.submit(() -> {
                if (reader != null) {
                    reader.close();
                }
                device.close();
            }).get(10, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
            LinuxNet.close(new LinuxNet.Errno(arena), writeEnd);
        }
        synchronized (frames) {
            frames.clear();
        }
        metrics.close();
        arena.close();
    }

    private void start(SessionConfig.TransportMode mode) throws Exception {
        SessionConfig s = SessionConfig.builder("warp1").local(InetAddress.ofLiteral("10.0.0.1"))
                .peer(InetAddress.ofLiteral("10.0.0.2")).token("t").mtu(1380).transport(mode).build();
        DeviceReader.Target target = new DeviceReader.Target() {
            @Override
            public boolean writable() {
                return writable;
            }

            @Override
            public void write(ByteBuf frame) {
                synchronized (frames) {
                    frames.add(ByteBufUtil.getBytes(frame));
                    onLoop.add(loop.inEventLoop());
                }
                frame.release();
            }

            @Override
            public void flush() {
                flushes.incrementAndGet();
            }
        };
        DeviceReader frames = new DeviceReader(s, device, target, PooledByteBufAllocator.DEFAULT, metrics, () -> 1408);
        reader = new LoopDeviceReader(frames, device, loop, arena, errno -> { });
        reader.start().get(10, TimeUnit.SECONDS);
    }

    private void put(byte[] packet) {
        MemorySegment m = arena.allocate(packet.length);
        m.copyFrom(MemorySegment.ofArray(packet));
        assertThat(LinuxNet.write(new LinuxNet.Errno(arena), writeEnd, m.address(), packet.length))
                .isEqualTo(packet.length);
    }

    private int frameCount() {
        synchronized (frames) {
            return frames.size();
        }
    }

    private static byte[] framed(int header, byte[] packet) {
        byte[] f = new byte[header + packet.length];
        if (header == FrameCodec.STREAM_HEADER) {
            f[0] = (byte) (packet.length >>> 8);
            f[1] = (byte) packet.length;
        }
        System.arraycopy(packet, 0, f, header, packet.length);
        return f;
    }

    @Test
    void aLonePacketIsWrittenAndFlushedByTheLoopInTheWakeUpThatSawIt() throws Exception {
        start(SessionConfig.TransportMode.DATAGRAM);
        byte[] ping = FramingTest.ipv4(84, 1);

        put(ping);

        await().atMost(WAIT).until(() -> flushes.get() == 1);
        synchronized (frames) {
            assertThat(frames).containsExactly(framed(FrameCodec.DATAGRAM_HEADER, ping));
            assertThat(onLoop).containsExactly(true);
        }
        assertThat(flushes.get()).as("one flush for the one packet").isEqualTo(1);
        assertThat(metrics.packetsOut.sum()).isEqualTo(1L);
    }

    @Test
    void pollTakesAWaitingPacketAtOnceWithoutWaitingForTheLoopsNextPoll() throws Exception {
        start(SessionConfig.TransportMode.DATAGRAM);
        byte[] reply = FramingTest.ipv4(60, 2);

        // inside one task of the loop, epoll cannot run in between: only poll() can have read it
        int seen = loop.submit(() -> {
            put(reply);
            reader.poll();
            return frameCount();
        }).get(10, TimeUnit.SECONDS);

        assertThat(seen).isEqualTo(1);
        assertThat(flushes.get()).isEqualTo(1);
        synchronized (frames) {
            assertThat(frames).containsExactly(framed(FrameCodec.DATAGRAM_HEADER, reply));
        }
    }

    @Test
    void aStreamThatIsNotWritableLeavesPacketsInTheDeviceUntilItIs() throws Exception {
        writable = false;
        start(SessionConfig.TransportMode.RELIABLE);
        byte[] packet = FramingTest.ipv4(1380, 3);

        int seen = loop.submit(() -> {
            put(packet);
            reader.poll();
            return frameCount();
        }).get(10, TimeUnit.SECONDS);
        assertThat(seen).as("nothing taken while the stream is not writable").isZero();
        assertThat(flushes.get()).isZero();

        writable = true;
        loop.submit(reader::resume).get(10, TimeUnit.SECONDS);

        await().atMost(WAIT).until(() -> flushes.get() == 1);
        synchronized (frames) {
            assertThat(frames).containsExactly(framed(FrameCodec.STREAM_HEADER, packet));
        }
    }
}
