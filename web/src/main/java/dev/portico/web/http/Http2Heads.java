package dev.portico.web.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;

/**
 * The response heads of one HTTP/2 connection's streams, made straight from the header lines the
 * HTTP/1.1 path renders ({@code "Name: value\r\n"}): names lower-cased, connection-specific fields
 * left out (RFC 9113 §8.2.2), no status line, framing or Connection field. An exchange on a stream
 * writes these as HEADERS frames instead of an HTTP/1.1 head, so nothing is rendered and parsed
 * back per response.
 *
 * <p>Lines that stay the same from response to response (a cached file's, the Date line of the
 * current second, Strict-Transport-Security) are split into fields once and kept by the identity
 * of their array in a small table, so their names and values are the same objects each time: no
 * copy per response, and their hashes, which HPACK looks up, are computed once. The table belongs
 * to one connection and is used on its event loop only.
 */
public final class Http2Heads {

    /** Where an HTTP/2 connection's channel keeps its heads, for the exchanges of its streams. */
    public static final AttributeKey<Http2Heads> KEY = AttributeKey.valueOf(Http2Heads.class, "heads");

    private static final AsciiString[] DROPPED = {
        HttpHeaderNames.CONNECTION, AsciiString.cached("keep-alive"), HttpHeaderNames.TRANSFER_ENCODING,
        HttpHeaderNames.UPGRADE, AsciiString.cached("proxy-connection")};
    private static final AsciiString[] NONE = {};
    /** Slots of the table; a power of two. */
    private static final int SLOTS = 32;

    private final byte[][] keys = new byte[SLOTS][];
    private final AsciiString[][] fields = new AsciiString[SLOTS][];

    /** Makes {@code connection} an HTTP/2 connection whose streams' exchanges write HEADERS frames. */
    public static void attach(Channel connection) {
        connection.attr(KEY).set(new Http2Heads());
    }

    /**
     * The heads of the connection a stream belongs to: its parent's, or a table of its own when
     * it has none (a stream tested alone).
     */
    static Http2Heads of(Channel stream) {
        Channel parent = stream.parent();
        Http2Heads heads = parent == null ? null : parent.attr(KEY).get();
        return heads != null ? heads : new Http2Heads();
    }

    /** A new head with its {@code :status}. */
    Http2Headers start(int status) {
        Http2Headers h = new DefaultHttp2Headers(false);
        h.status(HttpResponseStatus.valueOf(status).codeAsText());
        return h;
    }

    /** Adds the fields of lines that are not changed after this call, kept by identity. */
    void addStable(Http2Headers h, byte[] lines) {
        if (lines.length == 0) {
            return;
        }
        int slot = System.identityHashCode(lines) & (SLOTS - 1);
        AsciiString[] split;
        if (keys[slot] == lines) {
            split = fields[slot];
        } else {
            split = split(lines, 0, lines.length);
            keys[slot] = lines;
            fields[slot] = split;
        }
        addPairs(h, split);
    }

    /** Adds the fields of lines made for this response alone. */
    static void addOnce(Http2Headers h, byte[] lines) {
        if (lines.length > 0) {
            addPairs(h, split(lines, 0, lines.length));
        }
    }

    /** Adds the fields of the lines in {@code buf}'s readable bytes. */
    static void addOnce(Http2Headers h, ByteBuf buf) {
        if (buf.isReadable()) {
            byte[] bytes = new byte[buf.readableBytes()];
            buf.getBytes(buf.readerIndex(), bytes);
            addPairs(h, split(bytes, 0, bytes.length));
        }
    }

    private static void addPairs(Http2Headers h, AsciiString[] split) {
        for (int i = 0; i < split.length; i += 2) {
            h.add(split[i], split[i + 1]);
        }
    }

    /** Name and value pairs of header lines; values trimmed, lines without a colon skipped. */
    private static AsciiString[] split(byte[] b, int from, int to) {
        if (from == to) {
            return NONE;
        }
        int count = 0;
        for (int i = from; i < to; i++) {
            if (b[i] == '\n') {
                count++;
            }
        }
        AsciiString[] out = new AsciiString[2 * (count + 1)];
        int n = 0;
        int at = from;
        while (at < to) {
            int eol = at;
            while (eol < to && b[eol] != '\n') {
                eol++;
            }
            int stop = eol > at && b[eol - 1] == '\r' ? eol - 1 : eol;
            int colon = at;
            while (colon < stop && b[colon] != ':') {
                colon++;
            }
            if (colon > at && colon < stop) {
                AsciiString name = new AsciiString(b, at, colon - at, true).toLowerCase();
                int v = colon + 1;
                while (v < stop && (b[v] == ' ' || b[v] == '\t')) {
                    v++;
                }
                int w = stop;
                while (w > v && (b[w - 1] == ' ' || b[w - 1] == '\t')) {
                    w--;
                }
                if (!connectionSpecific(name)) {
                    out[n++] = name;
                    out[n++] = new AsciiString(b, v, w - v, true);
                }
            }
            at = eol + 1;
        }
        if (n == out.length) {
            return out;
        }
        AsciiString[] exact = new AsciiString[n];
        System.arraycopy(out, 0, exact, 0, n);
        return exact;
    }

    /** True for a lower-case field name HTTP/2 does not carry (RFC 9113 §8.2.2). */
    public static boolean connectionSpecific(AsciiString name) {
        for (AsciiString d : DROPPED) {
            if (d.contentEquals(name)) {
                return true;
            }
        }
        return false;
    }
}
