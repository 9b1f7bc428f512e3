package dev.portico.proxy;

import dev.portico.web.http.HeaderLines;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A backend's response head as {@link UpstreamResponseDecoder} read it: the status, the framing
 * it decided, and the header fields kept as offsets into one copy of the received bytes, so that
 * relaying a response copies header bytes once and builds no string per field.
 *
 * <p>As {@link HeaderLines} it writes the fields relayed to the client: the backend's end-to-end
 * fields as received, without hop-by-hop ones (RFC 9110 §7.6.1, and those the Connection field
 * names), Date and Content-Length (the exchange writes its own), and with this proxy added to Via.
 * Public with {@link UpstreamResponseDecoder}, which makes it.
 */
public final class UpstreamHead implements HeaderLines {

    private static final byte[] VIA = "Via: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] VIA_10 = ("1.0 " + ForwardHeaders.VIA + "\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] VIA_11 = ("1.1 " + ForwardHeaders.VIA + "\r\n").getBytes(StandardCharsets.US_ASCII);

    private final int status;
    private final int minorVersion;
    private final byte[] raw;
    /** Four offsets into {@link #raw} per field: name start and end, value start and end. */
    private final int[] fields;
    private final int count;
    private final long contentLength;
    private final boolean chunked;
    private final boolean keepAlive;
    /** Lower-case names the Connection field lists beyond the fixed hop-by-hop ones (usually empty). */
    private final List<String> connectionNamed;
    /** The Keep-Alive field's timeout in seconds, or -1. */
    private final long keepAliveSeconds;

    UpstreamHead(int status, int minorVersion, byte[] raw, int[] fields, int count, long contentLength,
                 boolean chunked, boolean keepAlive, List<String> connectionNamed, long keepAliveSeconds) {
        this.keepAliveSeconds = keepAliveSeconds;
        this.status = status;
        this.minorVersion = minorVersion;
        this.raw = raw;
        this.fields = fields;
        this.count = count;
        this.contentLength = contentLength;
        this.chunked = chunked;
        this.keepAlive = keepAlive;
        this.connectionNamed = connectionNamed;
    }

    public int status() {
        return status;
    }

    /** The Content-Length, or -1 when the response has none. */
    public long contentLength() {
        return contentLength;
    }

    /** True when the body is chunked. */
    public boolean chunked() {
        return chunked;
    }

    /** True when the connection may carry another request after this response. */
    public boolean keepAlive() {
        return keepAlive;
    }

    /** How long the backend keeps the connection idle by its Keep-Alive field, in seconds, or -1 when it does not say. */
    long keepAliveSeconds() {
        return keepAliveSeconds;
    }

    /** The number of header fields. */
    int size() {
        return count;
    }

    int nameStart(int i) {
        return fields[i * 4];
    }

    int nameEnd(int i) {
        return fields[i * 4 + 1];
    }

    int valueStart(int i) {
        return fields[i * 4 + 2];
    }

    int valueEnd(int i) {
        return fields[i * 4 + 3];
    }

    List<String> connectionNamed() {
        return connectionNamed;
    }

    /** True when field {@code i} is named {@code lowerCase} (compared without regard to case). */
    boolean nameIs(int i, String lowerCase) {
        return nameEnd(i) - nameStart(i) == lowerCase.length()
                && UpstreamResponseDecoder.regionIs(raw, nameStart(i), lowerCase);
    }

    String name(int i) {
        return new String(raw, nameStart(i), nameEnd(i) - nameStart(i), StandardCharsets.ISO_8859_1);
    }

    String value(int i) {
        return new String(raw, valueStart(i), valueEnd(i) - valueStart(i), StandardCharsets.ISO_8859_1);
    }

    /** The first value of a field, or null. */
    public String get(String lowerCaseName) {
        for (int i = 0; i < count; i++) {
            if (nameIs(i, lowerCaseName)) {
                return value(i);
            }
        }
        return null;
    }

    /** The same head as a Netty message, for the cache (which reads it through Netty's API). */
    public HttpResponse toHttpResponse() {
        HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders();
        for (int i = 0; i < count; i++) {
            headers.add(name(i), value(i));
        }
        return new DefaultHttpResponse(minorVersion == 0 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(status), headers);
    }

    @Override
    public int estimatedLength() {
        return raw.length + 32;
    }

    @Override
    public void writeTo(ByteBuf out) {
        int via = -1;
        for (int i = 0; i < count; i++) {
            if (relayed(i)) {
                out.writeBytes(raw, nameStart(i), valueEnd(i) - nameStart(i));
                out.writeByte('\r').writeByte('\n');
            } else if (via < 0 && nameIs(i, "via") && valueEnd(i) > valueStart(i)) {
                via = i;
            }
        }
        out.writeBytes(VIA);
        if (via >= 0) {
            out.writeBytes(raw, valueStart(via), valueEnd(via) - valueStart(via));
            out.writeByte(',').writeByte(' ');
        }
        out.writeBytes(minorVersion == 0 ? VIA_10 : VIA_11);
    }

    /** False for the fields the client does not get as received. */
    private boolean relayed(int i) {
        boolean dropped = switch (nameEnd(i) - nameStart(i)) {
            case 2 -> nameIs(i, "te");
            case 3 -> nameIs(i, "via");
            case 4 -> nameIs(i, "date");
            case 7 -> nameIs(i, "trailer") || nameIs(i, "upgrade");
            case 10 -> nameIs(i, "connection") || nameIs(i, "keep-alive");
            case 14 -> nameIs(i, "content-length");
            case 16 -> nameIs(i, "proxy-connection");
            case 17 -> nameIs(i, "transfer-encoding");
            case 18 -> nameIs(i, "proxy-authenticate");
            case 19 -> nameIs(i, "proxy-authorization");
            default -> false;
        };
        return !dropped && (connectionNamed.isEmpty() || !connectionNamed.contains(name(i).toLowerCase(java.util.Locale.ROOT)));
    }
}
