package dev.portico.lb;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.NetUtil;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Encodes the PROXY protocol header (HAProxy's spec, versions 1 and 2) that tells a backend who
 * the client is. Both ends in IPv4 give a TCP4 header; otherwise IPv4 addresses are mapped into
 * IPv6 and a TCP6 header is sent; addresses that are not IP give the UNKNOWN form.
 */
final class ProxyHeader {

    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    private static final int V2_PROXY_COMMAND = 0x21;
    private static final int V2_TCP4 = 0x11;
    private static final int V2_TCP6 = 0x21;
    private static final int V2_UNSPEC = 0x00;

    private ProxyHeader() {
    }

    /**
     * The header for a client connection from {@code source} to {@code destination}.
     *
     * @param version {@link ProxyProtocol#V1} or {@link ProxyProtocol#V2}
     */
    static ByteBuf encode(ProxyProtocol version, SocketAddress source, SocketAddress destination,
                          ByteBufAllocator alloc) {
        InetSocketAddress src = source instanceof InetSocketAddress s && s.getAddress() != null ? s : null;
        InetSocketAddress dst = destination instanceof InetSocketAddress d && d.getAddress() != null ? d : null;
        return switch (version) {
            case V1 -> v1(src, dst, alloc);
            case V2 -> v2(src, dst, alloc);
            case OFF -> throw new IllegalArgumentException("no header for PROXY protocol off");
        };
    }

    private static ByteBuf v1(InetSocketAddress src, InetSocketAddress dst, ByteBufAllocator alloc) {
        String line;
        if (src == null || dst == null) {
            line = "PROXY UNKNOWN\r\n";
        } else if (bothV4(src, dst)) {
            line = "PROXY TCP4 " + src.getAddress().getHostAddress() + " " + dst.getAddress().getHostAddress()
                    + " " + src.getPort() + " " + dst.getPort() + "\r\n";
        } else {
            line = "PROXY TCP6 " + v6Text(src.getAddress()) + " " + v6Text(dst.getAddress()) + " " + src.getPort()
                    + " " + dst.getPort() + "\r\n";
        }
        ByteBuf buf = alloc.buffer(line.length());
        buf.writeCharSequence(line, StandardCharsets.US_ASCII);
        return buf;
    }

    private static ByteBuf v2(InetSocketAddress src, InetSocketAddress dst, ByteBufAllocator alloc) {
        ByteBuf buf = alloc.buffer(16 + 36);
        buf.writeBytes(V2_SIGNATURE);
        buf.writeByte(V2_PROXY_COMMAND);
        if (src == null || dst == null) {
            buf.writeByte(V2_UNSPEC);
            buf.writeShort(0);
        } else if (bothV4(src, dst)) {
            buf.writeByte(V2_TCP4);
            buf.writeShort(12);
            buf.writeBytes(src.getAddress().getAddress());
            buf.writeBytes(dst.getAddress().getAddress());
            buf.writeShort(src.getPort());
            buf.writeShort(dst.getPort());
        } else {
            buf.writeByte(V2_TCP6);
            buf.writeShort(36);
            buf.writeBytes(v6(src.getAddress()));
            buf.writeBytes(v6(dst.getAddress()));
            buf.writeShort(src.getPort());
            buf.writeShort(dst.getPort());
        }
        return buf;
    }

    private static boolean bothV4(InetSocketAddress a, InetSocketAddress b) {
        return a.getAddress() instanceof Inet4Address && b.getAddress() instanceof Inet4Address;
    }

    private static String v6Text(InetAddress address) {
        return address instanceof Inet4Address ? "::ffff:" + address.getHostAddress() : NetUtil.toAddressString(address);
    }

    /** The 16 bytes of an address, mapping IPv4 into {@code ::ffff:a.b.c.d}. */
    private static byte[] v6(InetAddress address) {
        byte[] raw = address.getAddress();
        if (raw.length == 16) {
            return raw;
        }
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(raw, 0, mapped, 12, 4);
        return mapped;
    }
}
