package dev.portico.lb;

import io.netty.buffer.ByteBuf;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * Reads the PROXY protocol header (HAProxy's spec, versions 1 and 2) a trusted load balancer in
 * front sends before the client's bytes. Pure and incremental: call {@link #parse} with what has
 * arrived so far; it answers "need more", the addresses, or throws for a malformed header.
 *
 * <p>Rules: v1 is one line of at most 107 bytes ({@code PROXY TCP4|TCP6|UNKNOWN ...\r\n});
 * v2 is the 12-byte signature, version 2 with command LOCAL or PROXY, and at most
 * {@value #MAX_V2_PAYLOAD} bytes of addresses and TLVs (TLVs are skipped). {@code UNKNOWN},
 * {@code LOCAL} and non-IP families carry no client, so the connection's own addresses stand.
 */
final class ProxyHeaderParser {

    /** The longest v1 line, CRLF included. */
    static final int MAX_V1 = 107;
    /** The largest v2 payload accepted (the spec allows 65535; nobody sends that much in front of a TCP balancer). */
    static final int MAX_V2_PAYLOAD = 4096;

    private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    /**
     * What a complete header said.
     *
     * @param source      the real client, or null when the header carries none
     * @param destination the address the client connected to, or null when the header carries none
     * @param version     1 or 2
     */
    record Result(InetSocketAddress source, InetSocketAddress destination, int version) {
    }

    /** A header that can never become valid; the connection must be closed. */
    static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message, null, false, false);
        }
    }

    private ProxyHeaderParser() {
    }

    /**
     * Parses the header at the reader index of {@code in}; on success the header bytes are consumed.
     *
     * @return the result, or null when more bytes are needed
     * @throws MalformedException when the bytes cannot start a valid header
     */
    static Result parse(ByteBuf in) throws MalformedException {
        if (!in.isReadable()) {
            return null;
        }
        byte first = in.getByte(in.readerIndex());
        if (first == 'P') {
            return v1(in);
        }
        if (first == V2_SIGNATURE[0]) {
            return v2(in);
        }
        throw new MalformedException("does not start with a PROXY header");
    }

    private static void checkPrefix(ByteBuf in, byte[] prefix, String what) throws MalformedException {
        int n = Math.min(prefix.length, in.readableBytes());
        for (int i = 0; i < n; i++) {
            if (in.getByte(in.readerIndex() + i) != prefix[i]) {
                throw new MalformedException("bad " + what);
            }
        }
    }

    private static Result v1(ByteBuf in) throws MalformedException {
        checkPrefix(in, V1_PREFIX, "v1 prefix");
        int start = in.readerIndex();
        int limit = Math.min(in.readableBytes(), MAX_V1);
        int lf = -1;
        for (int i = 0; i < limit; i++) {
            if (in.getByte(start + i) == '\n') {
                lf = i;
                break;
            }
        }
        if (lf < 0) {
            if (in.readableBytes() >= MAX_V1) {
                throw new MalformedException("v1 line longer than " + MAX_V1 + " bytes");
            }
            return null;
        }
        if (lf == 0 || in.getByte(start + lf - 1) != '\r') {
            throw new MalformedException("v1 line does not end with CRLF");
        }
        String line = in.toString(start, lf - 1, StandardCharsets.US_ASCII);
        String[] parts = line.split(" ", -1);
        Result result;
        if (parts.length >= 2 && parts[1].equals("UNKNOWN")) {
            result = new Result(null, null, 1);
        } else if (parts.length == 6 && (parts[1].equals("TCP4") || parts[1].equals("TCP6"))) {
            boolean v4 = parts[1].equals("TCP4");
            InetAddress src = address(parts[2], v4);
            InetAddress dst = address(parts[3], v4);
            result = new Result(new InetSocketAddress(src, port(parts[4])), new InetSocketAddress(dst, port(parts[5])), 1);
        } else {
            throw new MalformedException("bad v1 line '" + line + "'");
        }
        in.skipBytes(lf + 1);
        return result;
    }

    private static InetAddress address(String text, boolean v4) throws MalformedException {
        boolean ok = v4 ? NetUtil.isValidIpV4Address(text) : NetUtil.isValidIpV6Address(text);
        if (!ok) {
            throw new MalformedException("bad v1 address '" + text + "'");
        }
        return NetUtil.createInetAddressFromIpAddressString(text);
    }

    private static int port(String text) throws MalformedException {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')
                || (text.length() > 1 && text.charAt(0) == '0')) {
            throw new MalformedException("bad v1 port '" + text + "'");
        }
        int p = Integer.parseInt(text);
        if (p > 65_535) {
            throw new MalformedException("bad v1 port '" + text + "'");
        }
        return p;
    }

    private static Result v2(ByteBuf in) throws MalformedException {
        checkPrefix(in, V2_SIGNATURE, "v2 signature");
        if (in.readableBytes() < 16) {
            return null;
        }
        int start = in.readerIndex();
        int verCmd = in.getUnsignedByte(start + 12);
        int family = in.getUnsignedByte(start + 13);
        int length = in.getUnsignedShort(start + 14);
        if (verCmd >> 4 != 2) {
            throw new MalformedException("v2 version " + (verCmd >> 4));
        }
        int command = verCmd & 0x0F;
        if (command > 1) {
            throw new MalformedException("v2 command " + command);
        }
        if (length > MAX_V2_PAYLOAD) {
            throw new MalformedException("v2 payload of " + length + " bytes");
        }
        int need = switch (family >> 4) {
            case 0x1 -> 12;
            case 0x2 -> 36;
            case 0x0, 0x3 -> 0;
            default -> throw new MalformedException("v2 address family " + (family >> 4));
        };
        int transport = family & 0x0F;
        if (transport > 2) {
            throw new MalformedException("v2 transport " + transport);
        }
        if (command == 1 && length < need) {
            throw new MalformedException("v2 payload of " + length + " bytes is too short for its addresses");
        }
        if (in.readableBytes() < 16 + length) {
            return null;
        }
        Result result;
        if (command == 0 || need == 0) {
            result = new Result(null, null, 2);
        } else {
            int size = need == 12 ? 4 : 16;
            byte[] src = new byte[size];
            byte[] dst = new byte[size];
            in.getBytes(start + 16, src);
            in.getBytes(start + 16 + size, dst);
            int sport = in.getUnsignedShort(start + 16 + 2 * size);
            int dport = in.getUnsignedShort(start + 18 + 2 * size);
            result = new Result(new InetSocketAddress(ip(src), sport), new InetSocketAddress(ip(dst), dport), 2);
        }
        in.skipBytes(16 + length);
        return result;
    }

    private static InetAddress ip(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes are always an address", e);
        }
    }
}
