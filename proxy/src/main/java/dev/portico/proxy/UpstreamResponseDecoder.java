package dev.portico.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Reads a backend's HTTP/1.x responses for the proxy, and only what the proxy needs of them: the
 * head as an {@link UpstreamHead} (one copy of its bytes, fields as offsets), then the body as
 * {@link ByteBuf} slices of what was read, the last piece in a {@link Last}. A response that
 * breaks the rules becomes a {@link Failure} and everything after it is dropped.
 *
 * <p>Framing follows RFC 9112 §6.3 as a proxy must read it: no body for HEAD, 1xx, 204 and 304;
 * chunked when the last transfer coding is chunked (trailers are read and dropped); otherwise the
 * Content-Length; otherwise the body runs until the backend closes. A response with both
 * Transfer-Encoding and Content-Length, differing Content-Length values, obsolete line folding,
 * a field name with spaces or control characters in a value is refused, as nginx refuses them.
 * Bare LF line ends are accepted.
 *
 * <p>Public as the proxy's seam for other modules that talk HTTP/1.1 to backends of their own
 * (the file store's node connections): one decoder per connection, reused across its requests.
 */
public final class UpstreamResponseDecoder extends ByteToMessageDecoder {

    /** The end of one response, with its last piece of body (often empty). Release it. */
    public static final class Last extends DefaultByteBufHolder {
        static final Last EMPTY = new Last(Unpooled.EMPTY_BUFFER);

        Last(ByteBuf data) {
            super(data);
        }
    }

    /** A response that cannot be relayed, and why. */
    public record Failure(String reason) {
    }

    private static final byte LF = '\n';
    private static final int MAX_CHUNK_LINE = 4096;

    private enum State { HEAD, FIXED, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UNTIL_CLOSE, UPGRADED, FAILED }

    private final int maxHead;
    private State state = State.HEAD;
    /** In HEAD: where the next line starts, counted from the reader index. */
    private int scanned;
    /** In FIXED and CHUNK_DATA: body bytes still to come. */
    private long remaining;
    /** In TRAILERS: trailer bytes read so far. */
    private int trailerBytes;
    private boolean noBody;

    /** @param maxHead the largest response head (and trailer block) in bytes */
    public UpstreamResponseDecoder(int maxHead) {
        this.maxHead = maxHead;
    }

    /**
     * The {@code timeout=N} parameter of a Keep-Alive field (RFC 2068 §19.7.1), in seconds, or -1
     * when it has none or it does not parse.
     */
    static long keepAliveTimeout(byte[] raw, int vs, int ve) {
        for (int p = vs; p < ve; ) {
            int comma = firstIndexOf(raw, p, ve, ',');
            int ts = p;
            while (ts < comma && (raw[ts] == ' ' || raw[ts] == '\t')) {
                ts++;
            }
            if (comma - ts > 8 && regionIs(raw, ts, "timeout=")) {
                long n = 0;
                int d = ts + 8;
                int digits = 0;
                while (d < comma && raw[d] >= '0' && raw[d] <= '9' && digits < 9) {
                    n = n * 10 + (raw[d++] - '0');
                    digits++;
                }
                return digits == 0 ? -1 : n;
            }
            p = comma + 1;
        }
        return -1;
    }

    /** Bytes read from the connection and not yet decoded: anything after the end of a response. */
    public int leftover() {
        return actualReadableBytes();
    }

    /** Tells the decoder that the next response answers a HEAD request and has no body. */
    public void expectNoBody(boolean value) {
        this.noBody = value;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case HEAD -> readHead(in, out);
            case FIXED -> {
                int n = (int) Math.min(remaining, in.readableBytes());
                ByteBuf piece = in.readRetainedSlice(n);
                remaining -= n;
                if (remaining == 0) {
                    state = State.HEAD;
                    out.add(new Last(piece));
                } else {
                    out.add(piece);
                }
            }
            case CHUNK_SIZE -> readChunkSize(in, out);
            case CHUNK_DATA -> {
                int n = (int) Math.min(remaining, in.readableBytes());
                out.add(in.readRetainedSlice(n));
                remaining -= n;
                if (remaining == 0) {
                    state = State.CHUNK_END;
                }
            }
            case CHUNK_END -> readChunkEnd(in, out);
            case TRAILERS -> readTrailers(in, out);
            case UNTIL_CLOSE, UPGRADED -> out.add(in.readRetainedSlice(in.readableBytes()));
            case FAILED -> in.skipBytes(in.readableBytes());
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.isReadable()) {
            decode(ctx, in, out);
        }
        if (state == State.UNTIL_CLOSE) {
            state = State.FAILED;
            out.add(Last.EMPTY);
        }
    }

    // ---- the head ----------------------------------------------------------------------------------

    private void readHead(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        int lineStart = start + scanned;
        for (;;) {
            int lf = in.indexOf(lineStart, end, LF);
            if (lf < 0) {
                break;
            }
            int length = lf - lineStart;
            boolean empty = length == 0 || length == 1 && in.getByte(lineStart) == '\r';
            if (!empty) {
                lineStart = lf + 1;
                continue;
            }
            if (lineStart == start) {
                // An empty line where a status line belongs (a stray CRLF after a body): skipped.
                in.readerIndex(lf + 1);
                start = lf + 1;
                lineStart = start;
                continue;
            }
            scanned = 0;
            if (lf + 1 - start > maxHead) {
                fail(in, out, "response head larger than " + maxHead + " bytes");
                return;
            }
            byte[] raw = new byte[lf + 1 - start];
            in.readBytes(raw);
            parseHead(in, raw, out);
            return;
        }
        scanned = lineStart - start;
        if (end - start > maxHead) {
            fail(in, out, "response head larger than " + maxHead + " bytes");
        }
    }

    private void parseHead(ByteBuf in, byte[] raw, List<Object> out) {
        int lineEnd = indexOf(raw, 0);
        int textEnd = lineEnd > 0 && raw[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
        if (textEnd < 12 || raw[0] != 'H' || raw[1] != 'T' || raw[2] != 'T' || raw[3] != 'P' || raw[4] != '/'
                || raw[5] != '1' || raw[6] != '.' || raw[8] != ' ' || (textEnd > 12 && raw[12] != ' ')
                || !digit(raw[9]) || !digit(raw[10]) || !digit(raw[11]) || !text(raw, 12, textEnd)) {
            fail(in, out, "bad status line '" + printable(raw, 0, textEnd) + "'");
            return;
        }
        int minor = raw[7] - '0';
        if (minor != 0 && minor != 1) {
            fail(in, out, "unsupported version in '" + printable(raw, 0, textEnd) + "'");
            return;
        }
        int status = (raw[9] - '0') * 100 + (raw[10] - '0') * 10 + (raw[11] - '0');
        if (status < 100) {
            fail(in, out, "bad status code " + status);
            return;
        }
        int[] fields = new int[32];
        int count = 0;
        int p = lineEnd + 1;
        for (;;) {
            int lf = indexOf(raw, p);
            int e = lf > p && raw[lf - 1] == '\r' ? lf - 1 : lf;
            if (e == p) {
                break;
            }
            if (raw[p] == ' ' || raw[p] == '\t') {
                fail(in, out, "obsolete line folding in the response head");
                return;
            }
            int k = p;
            while (k < e && token(raw[k])) {
                k++;
            }
            if (k == p || k == e || raw[k] != ':') {
                fail(in, out, "bad header field '" + printable(raw, p, e) + "'");
                return;
            }
            int vs = k + 1;
            while (vs < e && (raw[vs] == ' ' || raw[vs] == '\t')) {
                vs++;
            }
            int ve = e;
            while (ve > vs && (raw[ve - 1] == ' ' || raw[ve - 1] == '\t')) {
                ve--;
            }
            if (!text(raw, vs, ve)) {
                fail(in, out, "control character in header field '" + printable(raw, p, k) + "'");
                return;
            }
            if (count * 4 == fields.length) {
                fields = Arrays.copyOf(fields, fields.length * 2);
            }
            fields[count * 4] = p;
            fields[count * 4 + 1] = k;
            fields[count * 4 + 2] = vs;
            fields[count * 4 + 3] = ve;
            count++;
            p = lf + 1;
        }
        framing(in, out, raw, status, minor, fields, count);
    }

    /** Reads the framing fields, decides how the body ends, and emits the head. */
    private void framing(ByteBuf in, List<Object> out, byte[] raw, int status, int minor, int[] fields, int count) {
        long length = -1;
        boolean transferEncoding = false;
        boolean lastChunked = false;
        boolean close = false;
        boolean keepAliveToken = false;
        long keepAliveSeconds = -1;
        List<String> named = List.of();
        for (int i = 0; i < count; i++) {
            int ns = fields[i * 4];
            int nameLength = fields[i * 4 + 1] - ns;
            int vs = fields[i * 4 + 2];
            int ve = fields[i * 4 + 3];
            if (nameLength == 14 && regionIs(raw, ns, "content-length")) {
                long value = contentLength(raw, vs, ve);
                if (value < 0 || length >= 0 && value != length) {
                    fail(in, out, value < 0 ? "bad Content-Length '" + printable(raw, vs, ve) + "'"
                            : "differing Content-Length values");
                    return;
                }
                length = value;
            } else if (nameLength == 17 && regionIs(raw, ns, "transfer-encoding")) {
                // The last coding of the last field decides (RFC 9112 §6.3).
                transferEncoding = true;
                int start = lastIndexOf(raw, vs, ve, ',') + 1;
                int ts = Math.max(start, vs);
                int te = ve;
                while (ts < te && (raw[ts] == ' ' || raw[ts] == '\t')) {
                    ts++;
                }
                lastChunked = te - ts == 7 && regionIs(raw, ts, "chunked");
            } else if (nameLength == 10 && regionIs(raw, ns, "connection")) {
                for (int p = vs; p < ve; ) {
                    int comma = firstIndexOf(raw, p, ve, ',');
                    int ts = p;
                    int te = comma;
                    while (ts < te && (raw[ts] == ' ' || raw[ts] == '\t')) {
                        ts++;
                    }
                    while (te > ts && (raw[te - 1] == ' ' || raw[te - 1] == '\t')) {
                        te--;
                    }
                    if (te - ts == 5 && regionIs(raw, ts, "close")) {
                        close = true;
                    } else if (te - ts == 10 && regionIs(raw, ts, "keep-alive")) {
                        keepAliveToken = true;
                    } else if (te > ts) {
                        String t = latin1(raw, ts, te).toLowerCase(Locale.ROOT);
                        if (!ForwardHeaders.isHopByHop(t)) {
                            if (named.isEmpty()) {
                                named = new ArrayList<>(2);
                            }
                            named.add(t);
                        }
                    }
                    p = comma + 1;
                }
            } else if (nameLength == 10 && regionIs(raw, ns, "keep-alive")) {
                keepAliveSeconds = keepAliveTimeout(raw, vs, ve);
            }
        }
        if (transferEncoding && length >= 0) {
            fail(in, out, "both Transfer-Encoding and Content-Length in the response head");
            return;
        }
        boolean keepAlive = !close && (minor == 1 || keepAliveToken);
        boolean bodiless = status < 200 || noBody || status == 204 || status == 304;
        boolean chunked = !bodiless && lastChunked;
        boolean untilClose = !bodiless && !chunked && length < 0;
        if (untilClose) {
            keepAlive = false;
        }
        out.add(new UpstreamHead(status, minor, raw, fields, count, length, chunked, keepAlive, named, keepAliveSeconds));
        if (status < 200) {
            if (status == 101) {
                state = State.UPGRADED;
            }
        } else if (bodiless || length == 0) {
            out.add(Last.EMPTY);
        } else if (chunked) {
            state = State.CHUNK_SIZE;
        } else if (untilClose) {
            state = State.UNTIL_CLOSE;
        } else {
            state = State.FIXED;
            remaining = length;
        }
    }

    // ---- chunks --------------------------------------------------------------------------------------

    private void readChunkSize(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        int lf = in.indexOf(start, Math.min(end, start + MAX_CHUNK_LINE), LF);
        if (lf < 0) {
            if (end - start >= MAX_CHUNK_LINE) {
                fail(in, out, "chunk size line longer than " + MAX_CHUNK_LINE + " bytes");
            }
            return;
        }
        long size = 0;
        int i = start;
        for (; i < lf; i++) {
            int d = Character.digit((char) in.getByte(i), 16);
            if (d < 0) {
                break;
            }
            if (i - start == 15) {
                fail(in, out, "chunk size too large");
                return;
            }
            size = size << 4 | d;
        }
        int textEnd = lf > start && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
        boolean extensionOk = true;
        if (i < textEnd) {
            byte b = in.getByte(i);
            extensionOk = b == ';' || b == ' ' || b == '\t';
            for (int k = i; k < textEnd && extensionOk; k++) {
                int c = in.getByte(k) & 0xff;
                extensionOk = c >= 0x20 && c != 0x7f || c == '\t';
            }
        }
        if (i == start || i > textEnd || !extensionOk) {
            fail(in, out, "bad chunk size line '" + in.toString(start, Math.min(textEnd - start, 64),
                    StandardCharsets.ISO_8859_1) + "'");
            return;
        }
        in.readerIndex(lf + 1);
        if (size == 0) {
            state = State.TRAILERS;
            trailerBytes = 0;
        } else {
            state = State.CHUNK_DATA;
            remaining = size;
        }
    }

    private void readChunkEnd(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        byte b = in.getByte(start);
        if (b == LF) {
            in.skipBytes(1);
            state = State.CHUNK_SIZE;
        } else if (b == '\r') {
            if (in.readableBytes() < 2) {
                return;
            }
            if (in.getByte(start + 1) != LF) {
                fail(in, out, "chunk data not followed by CRLF");
                return;
            }
            in.skipBytes(2);
            state = State.CHUNK_SIZE;
        } else {
            fail(in, out, "chunk data longer than its size");
        }
    }

    private void readTrailers(ByteBuf in, List<Object> out) {
        for (;;) {
            int start = in.readerIndex();
            int end = in.writerIndex();
            int lf = in.indexOf(start, end, LF);
            if (lf < 0) {
                if (trailerBytes + end - start > maxHead) {
                    fail(in, out, "trailers larger than " + maxHead + " bytes");
                }
                return;
            }
            int length = lf - start;
            trailerBytes += length + 1;
            if (trailerBytes > maxHead) {
                fail(in, out, "trailers larger than " + maxHead + " bytes");
                return;
            }
            in.readerIndex(lf + 1);
            if (length == 0 || length == 1 && in.getByte(start) == '\r') {
                state = State.HEAD;
                out.add(Last.EMPTY);
                return;
            }
        }
    }

    private void fail(ByteBuf in, List<Object> out, String reason) {
        state = State.FAILED;
        in.skipBytes(in.readableBytes());
        out.add(new Failure(reason));
    }

    // ---- bytes ----------------------------------------------------------------------------------------

    private static int indexOf(byte[] raw, int from) {
        for (int i = from; i < raw.length; i++) {
            if (raw[i] == LF) {
                return i;
            }
        }
        return raw.length - 1;
    }

    private static int firstIndexOf(byte[] raw, int from, int to, char c) {
        for (int i = from; i < to; i++) {
            if (raw[i] == c) {
                return i;
            }
        }
        return to;
    }

    private static int lastIndexOf(byte[] raw, int from, int to, char c) {
        for (int i = to - 1; i >= from; i--) {
            if (raw[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static boolean digit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** RFC 9110 tchar. */
    private static boolean token(byte b) {
        if (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') {
            return true;
        }
        return switch (b) {
            case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
            default -> false;
        };
    }

    /** True when the range holds no control character but HTAB (obs-text is allowed). */
    private static boolean text(byte[] raw, int from, int to) {
        for (int i = from; i < to; i++) {
            int c = raw[i] & 0xff;
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** True when the bytes at {@code start} spell {@code lowerCase}, compared without regard to ASCII case. */
    static boolean regionIs(byte[] raw, int start, String lowerCase) {
        for (int k = 0; k < lowerCase.length(); k++) {
            int c = raw[start + k];
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != lowerCase.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** A Content-Length value, a list of equal values allowed (RFC 9110 §8.6); -1 when invalid. */
    private static long contentLength(byte[] raw, int from, int to) {
        long value = -1;
        long current = -1;
        for (int i = from; i <= to; i++) {
            byte b = i < to ? raw[i] : (byte) ',';
            if (digit(b)) {
                if (current > (Long.MAX_VALUE - 9) / 10) {
                    return -1;
                }
                current = (current < 0 ? 0 : current * 10) + (b - '0');
            } else if (b == ',') {
                if (current < 0 || value >= 0 && value != current) {
                    return -1;
                }
                value = current;
                current = -1;
            } else if (b == ' ' || b == '\t') {
                if (current >= 0 && i + 1 < to && digit(raw[i + 1])) {
                    return -1;
                }
            } else {
                return -1;
            }
        }
        return value;
    }

    private static String latin1(byte[] raw, int from, int to) {
        return new String(raw, from, to - from, StandardCharsets.ISO_8859_1);
    }

    /** Bytes as Latin-1 with control characters shown as '?', at most 64 of them, for messages. */
    private static String printable(byte[] raw, int from, int to) {
        StringBuilder sb = new StringBuilder(Math.min(to - from, 64));
        for (int i = from; i < to && sb.length() < 64; i++) {
            int c = raw[i] & 0xff;
            sb.append(c < 0x20 || c == 0x7f ? '?' : (char) c);
        }
        return sb.toString();
    }
}
