package dev.portico.dns;

import io.netty.buffer.ByteBuf;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An EDNS Client Subnet option (RFC 7871) as a query carried it: the client's network, which a
 * resolver sends so that the answer can be chosen for its client rather than for itself.
 *
 * @param family       1 for IPv4, 2 for IPv6
 * @param sourcePrefix how many leading bits of {@code address} the resolver disclosed
 * @param address      the network address, its bits past {@code sourcePrefix} zero
 * @param wireAddress  the ADDRESS octets exactly as sent (echoed in the answer)
 */
record EcsOption(int family, int sourcePrefix, InetAddress address, byte[] wireAddress) {

    /** The EDNS option code of Client Subnet. */
    static final int CODE = 8;
    /** Family numbers (IANA address family registry). */
    static final int IPV4 = 1;
    static final int IPV6 = 2;

    /**
     * Reads the option data (after the option code and length) and checks it as RFC 7871 §6 asks:
     * a known family, a source prefix that fits it, a zero scope, exactly as many address octets as
     * the source prefix needs, and no bit set past the source prefix.
     *
     * @param buf    the packet
     * @param pos    where the option data starts
     * @param length the option length
     * @throws QueryParser.FormatError when any of that is wrong (answered with FORMERR)
     */
    static EcsOption read(ByteBuf buf, int pos, int length) throws QueryParser.FormatError {
        if (length < 4) {
            throw new QueryParser.FormatError("client subnet option shorter than 4 octets");
        }
        int family = buf.getUnsignedShort(pos);
        int source = buf.getUnsignedByte(pos + 2);
        int scope = buf.getUnsignedByte(pos + 3);
        int bytes = family == IPV4 ? 4 : family == IPV6 ? 16 : -1;
        if (bytes < 0) {
            throw new QueryParser.FormatError("client subnet family " + family);
        }
        if (source > bytes * 8) {
            throw new QueryParser.FormatError("client subnet source prefix " + source);
        }
        if (scope != 0) {
            throw new QueryParser.FormatError("client subnet scope " + scope + " in a query");
        }
        int octets = (source + 7) / 8;
        if (length - 4 != octets) {
            throw new QueryParser.FormatError("client subnet address of " + (length - 4) + " octets for /" + source);
        }
        byte[] wire = new byte[octets];
        buf.getBytes(pos + 4, wire);
        if (octets > 0 && source % 8 != 0 && (wire[octets - 1] & (0xff >> (source % 8))) != 0) {
            throw new QueryParser.FormatError("client subnet address has bits past /" + source);
        }
        byte[] full = new byte[bytes];
        System.arraycopy(wire, 0, full, 0, octets);
        try {
            return new EcsOption(family, source, InetAddress.getByAddress(full), wire);
        } catch (UnknownHostException e) {
            throw new QueryParser.FormatError("client subnet address");
        }
    }

    /**
     * The client address answers are chosen for: null when the resolver disclosed no bits
     * (source prefix 0, RFC 7871 §7.1.2), which asks for an answer that suits every client.
     */
    InetAddress clientAddress() {
        return sourcePrefix == 0 ? null : address;
    }

    /** The size of the option in an answer: code, length, family, prefixes and address. */
    int wireLength() {
        return 8 + wireAddress.length;
    }

    /**
     * Writes the option for an answer: the query's family, source prefix and address, and
     * {@code scope}, the prefix length the answer is good for.
     *
     * @param out    where to write
     * @param offset where the option starts
     * @param scope  the scope prefix length (0: the answer suits every client)
     */
    void write(byte[] out, int offset, int scope) {
        int len = 4 + wireAddress.length;
        out[offset] = 0;
        out[offset + 1] = CODE;
        out[offset + 2] = (byte) (len >> 8);
        out[offset + 3] = (byte) len;
        out[offset + 4] = 0;
        out[offset + 5] = (byte) family;
        out[offset + 6] = (byte) sourcePrefix;
        out[offset + 7] = (byte) Math.min(scope, family == IPV4 ? 32 : 128);
        System.arraycopy(wireAddress, 0, out, offset + 8, wireAddress.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EcsOption e && family == e.family && sourcePrefix == e.sourcePrefix
                && java.util.Arrays.equals(wireAddress, e.wireAddress);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * family + sourcePrefix) + java.util.Arrays.hashCode(wireAddress);
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + sourcePrefix;
    }
}
