package dev.portico.tunnel;

/**
 * The tunnel's wire format, after the handshake.
 *
 * <ul>
 *   <li>{@code reliable}: on the session's QUIC stream, {@code [u16 length][u8 flags][packet]},
 *       where {@code length} counts the packet bytes after the flags byte;</li>
 *   <li>{@code datagram}: one QUIC DATAGRAM frame per packet, {@code [u8 flags][packet]}; the
 *       stream stays open for keep-alives.</li>
 * </ul>
 * The flags byte says how the packet is compressed ({@link #FLAG_ZLIB}, {@link #FLAG_LZ4}) or that
 * the frame is a keep-alive without a packet ({@link #FLAG_KEEPALIVE}); any other value makes the
 * frame malformed. There is no magic-byte guessing.
 */
public final class FrameCodec {

    public static final int FLAG_ZLIB = 0x01;
    public static final int FLAG_LZ4 = 0x02;
    public static final int FLAG_KEEPALIVE = 0x80;
    /** Bytes before the packet on the stream. */
    public static final int STREAM_HEADER = 3;
    /** Bytes before the packet in a DATAGRAM frame. */
    public static final int DATAGRAM_HEADER = 1;
    /** The largest packet a stream frame can hold. */
    public static final int MAX_PACKET = 0xffff;
    /** Packets at least this much below the MTU are worth compressing (3wdd's rule). */
    public static final int COMPRESS_BELOW_MTU = 100;
    /**
     * What QUIC takes from each UDP payload around a DATAGRAM frame: the short header's first byte,
     * a 20-byte connection id, a 4-byte packet number, the 16-byte AEAD tag, and the frame's type
     * and 2-byte length. With 1452-byte UDP payloads, 1408 bytes remain for the frame.
     */
    public static final int DATAGRAM_OVERHEAD = 1 + 20 + 4 + 16 + 3;

    private FrameCodec() {
    }

    /** The largest DATAGRAM frame payload that fits a UDP payload of {@code udpPayload} bytes. */
    public static int datagramLimit(int udpPayload) {
        return udpPayload - DATAGRAM_OVERHEAD;
    }

    /**
     * Checks that a datagram session's packets fit one DATAGRAM frame.
     *
     * @throws IllegalArgumentException naming the largest MTU that fits
     */
    public static void checkFits(SessionConfig s, int udpPayload) {
        if (s.transport() != SessionConfig.TransportMode.DATAGRAM) {
            return;
        }
        int room = datagramLimit(udpPayload) - DATAGRAM_HEADER;
        if (s.mtu() > room) {
            throw new IllegalArgumentException("session '" + s.name() + "': mtu " + s.mtu() + " does not fit a QUIC "
                    + "DATAGRAM frame with udp_payload " + udpPayload + " (at most " + room + "); lower mtu, raise "
                    + "udp_payload or use transport: reliable");
        }
    }

    /** Whether a flags byte is one this version knows. */
    public static boolean knownFlags(int flags) {
        return flags == 0 || flags == FLAG_ZLIB || flags == FLAG_LZ4 || flags == FLAG_KEEPALIVE;
    }

    /**
     * Whether a packet looks like IP: version 4 with a header length that fits and a total length
     * equal to the packet's, or version 6 with a payload length that matches.
     */
    public static boolean plausibleIp(byte first, int totalField, int length) {
        int version = (first & 0xff) >>> 4;
        if (version == 4) {
            int ihl = (first & 0x0f) * 4;
            return ihl >= 20 && length >= ihl && totalField == length;
        }
        if (version == 6) {
            return length >= 40 && totalField + 40 == length;
        }
        return false;
    }
}
