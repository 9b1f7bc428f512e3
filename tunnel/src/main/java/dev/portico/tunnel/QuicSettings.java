package dev.portico.tunnel;

import io.netty.handler.codec.quic.QuicCodecBuilder;
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
     * Applies the shared settings: UDP payload size both ways (so DATAGRAM frames can carry a
     * 1380-byte MTU), flow-control windows of {@code window} bytes, the congestion control, the
     * idle timeout, and DATAGRAM frames.
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
                .datagram(DATAGRAM_QUEUE, DATAGRAM_QUEUE);
    }
}
