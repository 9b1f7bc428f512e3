package dev.portico.tunnel;

import dev.portico.core.transport.Transport;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.handler.codec.quic.EpollQuicUtils;
import io.netty.handler.codec.quic.QuicCodecBuilder;
import io.netty.handler.codec.quic.SegmentedDatagramPacketAllocator;
import io.netty.handler.codec.quic.QuicCongestionControlAlgorithm;

import java.util.concurrent.TimeUnit;

/** The QUIC settings both sides share, from a tunnel's config. */
final class QuicSettings {

    static final String ALPN = "portico-tunnel/1";
    /** DATAGRAM frames queued each way before quiche drops them. */
    static final int DATAGRAM_QUEUE = 4096;

    private QuicSettings() {
    }

    /**
     * UDP socket buffers of {@code window} bytes each way (the kernel caps them at
     * {@code net.core.rmem_max} and {@code wmem_max}): with the default 208 KiB a burst the
     * event loop cannot read at once overflows the socket, and QUIC takes the drops for
     * congestion.
     */
    static void socketBuffers(io.netty.bootstrap.AbstractBootstrap<?, ?> b, TunnelConfig c) {
        int size = (int) Math.min(c.window(), Integer.MAX_VALUE);
        b.option(io.netty.channel.ChannelOption.SO_RCVBUF, size).option(io.netty.channel.ChannelOption.SO_SNDBUF, size);
    }

    /**
     * Datagrams read per system call on a tunnel's UDP socket where the transport can
     * ({@code recvmmsg} on epoll): a full-speed flow brings tens of QUIC packets per wake-up.
     */
    static final int READ_BATCH = 16;
    /** QUIC packets sent in one {@code sendmsg} with UDP GSO ({@code UDP_SEGMENT}). */
    static final int SEND_SEGMENTS = 16;

    /**
     * Several datagrams a read where the transport can (see {@link #READ_BATCH}), each read whole
     * up to the larger of 2048 bytes and {@code udp_payload}: QUIC's peer sends no more than the
     * {@code max_udp_payload_size} this side announces, and a client's first packets are 1200.
     */
    static void batchReads(io.netty.bootstrap.AbstractBootstrap<?, ?> b, Transport transport, TunnelConfig c) {
        transport.batchDatagramReads(b, Math.max(2048, c.udpPayload()), READ_BATCH);
    }

    /**
     * The allocator that lets a connection send a run of equal-sized QUIC packets in one system
     * call with UDP GSO, on epoll where the kernel has it; null elsewhere (one packet a call).
     */
    static SegmentedDatagramPacketAllocator segments(Transport transport) {
        if (transport.kind() == Transport.Kind.EPOLL && EpollDatagramChannel.isSegmentedDatagramPacketSupported()) {
            return EpollQuicUtils.newSegmentedAllocator(SEND_SEGMENTS);
        }
        return null;
    }

    /**
     * {@code initial_cwnd} in packets of {@code udp_payload} bytes, rounded up, and no more than the
     * flow-control {@code window} holds.
     *
     * <p>quiche's {@code bbr} (BBRv2) never lowers its congestion window below the initial one, and
     * it takes random loss for congestion: each loss in STARTUP caps the bandwidth estimate where it
     * stood, so STARTUP ends at whatever rate the first lost packet found, and a PROBE_UP that sees
     * two losses in a round ends too. On a 200 ms path with 1% random loss, quiche's default of 10
     * packets left the window near 160 KB, 6 Mbit/s of a 50 Mbit/s link; the initial window is the
     * floor that keeps it near the path's bandwidth-delay product (docs/decisions.md). With
     * {@code cubic} it is only where the window starts.
     */
    static int initialCwndPackets(TunnelConfig c) {
        long bytes = Math.min(c.initialCwnd(), c.window());
        return (int) Math.min((bytes + c.udpPayload() - 1) / c.udpPayload(), Integer.MAX_VALUE);
    }

    /**
     * Applies the shared settings: UDP payload size both ways (so DATAGRAM frames can carry a
     * 1380-byte MTU), flow-control windows of {@code window} bytes, the congestion control and its
     * initial window, the idle timeout, and DATAGRAM frames.
     *
     * @param streams bidirectional streams the peer may open (1 on the server, 0 on the client)
     */
    static <B extends QuicCodecBuilder<B>> B apply(B b, TunnelConfig c, int streams) {
        return b.maxIdleTimeout(c.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .maxSendUdpPayloadSize(c.udpPayload())
                .maxRecvUdpPayloadSize(c.udpPayload())
                .initialMaxData(c.window())
                .initialMaxStreamDataBidirectionalLocal(c.window())
                .initialMaxStreamDataBidirectionalRemote(c.window())
                .initialMaxStreamsBidirectional(streams)
                .initialMaxStreamsUnidirectional(0)
                .congestionControlAlgorithm(c.congestion() == TunnelConfig.Congestion.BBR
                        ? QuicCongestionControlAlgorithm.BBR : QuicCongestionControlAlgorithm.CUBIC)
                .initialCongestionWindowPackets(initialCwndPackets(c))
                .datagram(DATAGRAM_QUEUE, DATAGRAM_QUEUE);
    }
}
