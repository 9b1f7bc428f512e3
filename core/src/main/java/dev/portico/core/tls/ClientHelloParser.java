package dev.portico.core.tls;

import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads a TLS ClientHello from the bytes a connection has received so far, without decrypting
 * or consuming anything: what an L4 balancer needs to route by SNI (HAProxy's
 * {@code req.ssl_sni}) while the backend still gets the exact bytes.
 *
 * <p>Each call looks at the whole of what has arrived (from a {@link ByteBuf}'s reader index or a
 * {@link ByteBuffer}'s position; neither is moved) and answers one of:
 * <ul>
 *   <li>{@link #NEED_MORE}: a prefix of a hello so far; call again when more bytes came. The
 *       hello never needs more than {@link #MAX_BYTES} bytes, so a caller that has buffered that
 *       many and still hears "need more" cannot happen;</li>
 *   <li>{@link NotTls}: not a TLS handshake, or a malformed or oversized hello, with the reason;</li>
 *   <li>{@link Hello}: the server name (the {@code host_name} of the server_name extension,
 *       checked as a DNS name and lower-cased; null when the client sent none), the ALPN
 *       protocols offered, and over how many records the hello came.</li>
 * </ul>
 * A hello split over several TLS records (up to {@link #MAX_RECORDS}) and over any number of
 * TCP segments is read the same as one in a single record. Every length field is checked against
 * the one around it; nothing is trusted. The answer depends only on the bytes present: once a
 * prefix is refused or read, more bytes do not change the answer.
 *
 * <p>Allocation-light: a hello in one record (the usual case) is read in place; only a hello
 * split over records is copied, once it is complete. A parsed hello costs its server name, its
 * ALPN strings and the result.
 */
public final class ClientHelloParser {

    /** Largest ClientHello handshake message accepted, its 4-byte header included. */
    public static final int MAX_HELLO = 16 * 1024;
    /** Most TLS records a hello may be spread over. */
    public static final int MAX_RECORDS = 16;
    /** The most bytes a hello can take on the wire: {@link #MAX_HELLO} plus the record headers. */
    public static final int MAX_BYTES = MAX_HELLO + MAX_RECORDS * 5;

    private static final int RECORD_HANDSHAKE = 22;
    private static final int HANDSHAKE_CLIENT_HELLO = 1;
    private static final int MAX_FRAGMENT = 16 * 1024;
    private static final int EXT_SERVER_NAME = 0;
    private static final int EXT_ALPN = 16;
    private static final int NAME_TYPE_HOST = 0;

    /** What a parse found. */
    public sealed interface Result permits NeedMore, NotTls, Hello {
    }

    /** The bytes so far are a prefix of a ClientHello. */
    public static final class NeedMore implements Result {
        private NeedMore() {
        }

        @Override
        public String toString() {
            return "need more";
        }
    }

    /** The answer when the bytes so far are a prefix of a hello. */
    public static final NeedMore NEED_MORE = new NeedMore();

    /**
     * Not a TLS ClientHello, or a broken one.
     *
     * @param reason why, for a log line
     */
    public record NotTls(String reason) implements Result {
    }

    /**
     * A complete ClientHello.
     *
     * @param serverName the {@code host_name} of the server_name extension, lower-cased; null without one
     * @param alpn       the ALPN protocols in the client's order; empty without the extension
     * @param records    how many TLS records carried the hello
     * @param length     how many bytes, record headers included, the hello took on the wire
     */
    public record Hello(String serverName, List<String> alpn, int records, int length) implements Result {

        /** Whether the hello came in more than one TLS record. */
        public boolean spansRecords() {
            return records > 1;
        }
    }

    private ClientHelloParser() {
    }

    /** Reads the readable bytes of {@code in}; its indexes are not moved. */
    public static Result parse(ByteBuf in) {
        return parse(new BufInput(in, in.readerIndex(), in.readableBytes()));
    }

    /**
     * Reads a ClientHello body alone, from {@code legacy_version} on, without the record and
     * handshake headers: what {@link io.netty.handler.ssl.SslClientHelloHandler} hands over once
     * it has the whole hello. The readable bytes of {@code body} are read; its indexes do not move.
     *
     * @return a {@link Hello} (records 1, length the body's), or {@link NotTls} when malformed
     */
    public static Result parseBody(ByteBuf body) {
        int length = body.readableBytes();
        if (length > MAX_HELLO - 4) {
            return new NotTls("ClientHello of " + length + " bytes is over the limit of " + (MAX_HELLO - 4));
        }
        return body(new BufInput(body, body.readerIndex(), length), 0, length, 1, length);
    }

    /** Reads the remaining bytes of {@code in}; its position is not moved. */
    public static Result parse(ByteBuffer in) {
        return parse(new NioInput(in, in.position(), in.remaining()));
    }

    /** Reads {@code length} bytes of {@code in} from {@code offset}. */
    public static Result parse(byte[] in, int offset, int length) {
        if (offset < 0 || length < 0 || offset > in.length - length) {
            throw new IndexOutOfBoundsException("offset " + offset + " length " + length + " of " + in.length);
        }
        return parse(new ArrayInput(in, offset, length));
    }

    private static Result parse(Input in) {
        int n = in.length;
        int pos = 0;
        int records = 0;
        int have = 0; // handshake bytes present so far
        int need = -1; // the whole handshake message, once its header is here
        while (need < 0 || have < need) {
            int left = n - pos;
            if (left >= 1 && in.u8(pos) != RECORD_HANDSHAKE) {
                return records == 0
                        ? new NotTls("not a TLS handshake record (first byte 0x" + hex(in.u8(pos)) + ")")
                        : new NotTls("a record of type " + in.u8(pos) + " inside the ClientHello");
            }
            if (left >= 2 && in.u8(pos + 1) != 3) {
                return new NotTls("record version " + in.u8(pos + 1) + ".x is not TLS");
            }
            if (left >= 3 && in.u8(pos + 2) > 4) {
                return new NotTls("record version 3." + in.u8(pos + 2) + " is not TLS");
            }
            if (left < 5) {
                return NEED_MORE;
            }
            if (records == MAX_RECORDS) {
                return new NotTls("ClientHello spread over more than " + MAX_RECORDS + " records");
            }
            int len = in.u16(pos + 3);
            if (len == 0 || len > MAX_FRAGMENT) {
                return new NotTls("record length " + len + " is out of range (1 to " + MAX_FRAGMENT + ")");
            }
            records++;
            int fragment = pos + 5;
            int present = Math.min(len, n - fragment);
            int before = have;
            have += present;
            if (before == 0 && present >= 1 && in.u8(fragment) != HANDSHAKE_CLIENT_HELLO) {
                return new NotTls("handshake message type " + in.u8(fragment) + " is not ClientHello");
            }
            if (need < 0 && have >= 4) {
                int bodyLength = (handshakeByte(in, 1) << 16) | (handshakeByte(in, 2) << 8) | handshakeByte(in, 3);
                if (bodyLength > MAX_HELLO - 4) {
                    return new NotTls("ClientHello of " + bodyLength + " bytes is over the limit of " + (MAX_HELLO - 4));
                }
                need = 4 + bodyLength;
            }
            if (need >= 0 && have >= need) {
                int length = fragment + (need - before);
                return records == 1 ? body(in, fragment + 4, need - 4, records, length)
                        : body(reassemble(in, need), 4, need - 4, records, length);
            }
            if (present < len) {
                return NEED_MORE;
            }
            pos = fragment + len;
        }
        throw new AssertionError("unreachable");
    }

    /** Byte {@code k} of the handshake message, found through the record headers. */
    private static int handshakeByte(Input in, int k) {
        int pos = 0;
        while (true) {
            int len = in.u16(pos + 3);
            if (k < len) {
                return in.u8(pos + 5 + k);
            }
            k -= len;
            pos += 5 + len;
        }
    }

    /** The first {@code need} handshake bytes, copied out of their records. */
    private static Input reassemble(Input in, int need) {
        byte[] out = new byte[need];
        int pos = 0;
        int copied = 0;
        while (copied < need) {
            int len = Math.min(in.u16(pos + 3), need - copied);
            for (int i = 0; i < len; i++) {
                out[copied + i] = (byte) in.u8(pos + 5 + i);
            }
            copied += len;
            pos += 5 + in.u16(pos + 3);
        }
        return new ArrayInput(out, 0, need);
    }

    /**
     * Reads a ClientHello body of {@code length} bytes at {@code start}, which came in
     * {@code records} records taking {@code wire} bytes.
     */
    private static Result body(Input in, int start, int length, int records, int wire) {
        int p = start;
        int end = start + length;
        // legacy_version, random
        if (end - p < 2 + 32 + 1) {
            return malformed("too short for version, random and session id");
        }
        if (in.u8(p) != 3) {
            return new NotTls("ClientHello version " + in.u8(p) + ".x is not TLS");
        }
        p += 2 + 32;
        int sessionId = in.u8(p++);
        if (sessionId > 32 || end - p < sessionId) {
            return malformed("session id length " + sessionId);
        }
        p += sessionId;
        if (end - p < 2) {
            return malformed("no cipher suites");
        }
        int suites = in.u16(p);
        p += 2;
        if (suites < 2 || (suites & 1) != 0 || end - p < suites) {
            return malformed("cipher suites length " + suites);
        }
        p += suites;
        if (end - p < 1) {
            return malformed("no compression methods");
        }
        int compression = in.u8(p++);
        if (compression < 1 || end - p < compression) {
            return malformed("compression methods length " + compression);
        }
        p += compression;
        if (p == end) {
            return new Hello(null, List.of(), records, wire);
        }
        if (end - p < 2) {
            return malformed("a truncated extensions length");
        }
        int extensions = in.u16(p);
        p += 2;
        if (extensions != end - p) {
            return malformed("extensions length " + extensions + " where " + (end - p) + " bytes are left");
        }
        String serverName = null;
        boolean sawServerName = false;
        List<String> alpn = null;
        while (p < end) {
            if (end - p < 4) {
                return malformed("a truncated extension header");
            }
            int type = in.u16(p);
            int len = in.u16(p + 2);
            p += 4;
            if (end - p < len) {
                return malformed("extension " + type + " of " + len + " bytes where " + (end - p) + " are left");
            }
            if (type == EXT_SERVER_NAME) {
                if (sawServerName) {
                    return malformed("two server_name extensions");
                }
                sawServerName = true;
                Object name = serverName(in, p, len);
                if (name instanceof NotTls bad) {
                    return bad;
                }
                serverName = (String) name;
            } else if (type == EXT_ALPN) {
                if (alpn != null) {
                    return malformed("two ALPN extensions");
                }
                Object list = alpn(in, p, len);
                if (list instanceof NotTls bad) {
                    return bad;
                }
                @SuppressWarnings("unchecked")
                List<String> protocols = (List<String>) list;
                alpn = protocols;
            }
            p += len;
        }
        return new Hello(serverName, alpn == null ? List.of() : alpn, records, wire);
    }

    /** The host name of a server_name extension (null for none), or a {@link NotTls}. */
    private static Object serverName(Input in, int p, int len) {
        int end = p + len;
        if (len < 2 || in.u16(p) != len - 2 || len == 2) {
            return malformed("server_name list length");
        }
        p += 2;
        String host = null;
        while (p < end) {
            if (end - p < 3) {
                return malformed("a truncated server_name entry");
            }
            int type = in.u8(p);
            int nameLength = in.u16(p + 1);
            p += 3;
            if (end - p < nameLength) {
                return malformed("server_name entry of " + nameLength + " bytes where " + (end - p) + " are left");
            }
            if (type == NAME_TYPE_HOST) {
                if (host != null) {
                    return malformed("two host names in server_name");
                }
                host = hostName(in, p, nameLength);
                if (host == null) {
                    return new NotTls("server_name is not a DNS host name");
                }
            }
            p += nameLength;
        }
        return host;
    }

    /** The protocols of an ALPN extension, or a {@link NotTls}. */
    private static Object alpn(Input in, int p, int len) {
        int end = p + len;
        if (len < 3 || in.u16(p) != len - 2) {
            return malformed("ALPN list length");
        }
        p += 2;
        int count = 0;
        for (int q = p; q < end; ) {
            int l = in.u8(q);
            if (l == 0 || end - q - 1 < l) {
                return malformed("ALPN protocol length " + l);
            }
            q += 1 + l;
            count++;
        }
        String[] protocols = new String[count];
        for (int i = 0; i < count; i++) {
            int l = in.u8(p);
            byte[] name = new byte[l];
            for (int k = 0; k < l; k++) {
                name[k] = (byte) in.u8(p + 1 + k);
            }
            protocols[i] = new String(name, StandardCharsets.ISO_8859_1);
            p += 1 + l;
        }
        return List.of(protocols);
    }

    /**
     * The name of {@code length} bytes at {@code p} lower-cased, when it is a DNS host name
     * (letters, digits and hyphens in labels of 1 to 63 bytes, 253 bytes at most, no trailing
     * dot, not an IPv4 literal); else null.
     */
    private static String hostName(Input in, int p, int length) {
        if (length < 1 || length > 253) {
            return null;
        }
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            int c = in.u8(p + i);
            out[i] = (byte) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        }
        return validHostName(out, length) ? new String(out, StandardCharsets.ISO_8859_1) : null;
    }

    /**
     * Whether {@code name} is a DNS host name as a ClientHello may carry it: letters, digits and
     * hyphens in labels of 1 to 63 characters (no hyphen first or last), 253 characters at most,
     * no trailing dot, and not an IPv4 literal (the last label is not all digits).
     */
    public static boolean validHostName(String name) {
        if (name.isEmpty() || name.length() > 253) {
            return false;
        }
        byte[] bytes = new byte[name.length()];
        for (int i = 0; i < bytes.length; i++) {
            char c = name.charAt(i);
            if (c > 0x7F) {
                return false;
            }
            bytes[i] = (byte) c;
        }
        return validHostName(bytes, bytes.length);
    }

    private static boolean validHostName(byte[] s, int length) {
        int labelStart = 0;
        boolean allDigits = true;
        for (int i = 0; i <= length; i++) {
            if (i == length || s[i] == '.') {
                int label = i - labelStart;
                if (label < 1 || label > 63 || s[labelStart] == '-' || s[i - 1] == '-') {
                    return false;
                }
                if (i == length && allDigits) {
                    return false;
                }
                labelStart = i + 1;
                allDigits = true;
                continue;
            }
            int c = s[i];
            boolean digit = c >= '0' && c <= '9';
            if (!digit && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != '-') {
                return false;
            }
            allDigits &= digit;
        }
        return true;
    }

    private static NotTls malformed(String what) {
        return new NotTls("malformed ClientHello: " + what);
    }

    private static String hex(int b) {
        return (b < 16 ? "0" : "") + Integer.toHexString(b);
    }

    /** Unsigned reads at offsets relative to where the input starts, within {@code length}. */
    private abstract static class Input {
        final int length;

        Input(int length) {
            this.length = length;
        }

        abstract int u8(int i);

        final int u16(int i) {
            return (u8(i) << 8) | u8(i + 1);
        }
    }

    private static final class BufInput extends Input {
        private final ByteBuf buf;
        private final int base;

        BufInput(ByteBuf buf, int base, int length) {
            super(length);
            this.buf = buf;
            this.base = base;
        }

        @Override
        int u8(int i) {
            return buf.getUnsignedByte(base + i);
        }
    }

    private static final class NioInput extends Input {
        private final ByteBuffer buf;
        private final int base;

        NioInput(ByteBuffer buf, int base, int length) {
            super(length);
            this.buf = buf;
            this.base = base;
        }

        @Override
        int u8(int i) {
            return buf.get(base + i) & 0xFF;
        }
    }

    private static final class ArrayInput extends Input {
        private final byte[] bytes;
        private final int base;

        ArrayInput(byte[] bytes, int base, int length) {
            super(length);
            this.bytes = bytes;
            this.base = base;
        }

        @Override
        int u8(int i) {
            return bytes[base + i] & 0xFF;
        }
    }
}
