package dev.portico.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;

/**
 * The pieces of an HTTP/1.1 request head written straight into a buffer, with no header map: the
 * request line, one field, the empty line. Shared by the proxy's forwarded requests and the file
 * store's node requests.
 */
public final class RequestHeadWriter {

    private static final byte[] HTTP_11_CRLF = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final short CRLF = ('\r' << 8) | '\n';
    private static final short COLON_SPACE = (':' << 8) | ' ';

    private RequestHeadWriter() {
    }

    /** Writes "METHOD uri HTTP/1.1" and CRLF. */
    public static void requestLine(ByteBuf out, HttpMethod method, String uri) {
        ByteBufUtil.copy(method.asciiName(), out);
        out.writeByte(' ');
        out.writeCharSequence(uri, StandardCharsets.ISO_8859_1);
        out.writeBytes(HTTP_11_CRLF);
    }

    /** Writes "name: value" and CRLF. */
    public static void field(ByteBuf out, CharSequence name, CharSequence value) {
        if (name instanceof AsciiString a) {
            ByteBufUtil.copy(a, out);
        } else {
            out.writeCharSequence(name, StandardCharsets.ISO_8859_1);
        }
        out.writeShort(COLON_SPACE);
        out.writeCharSequence(value, StandardCharsets.ISO_8859_1);
        out.writeShort(CRLF);
    }

    /** Writes the CRLF that ends the head. */
    public static void end(ByteBuf out) {
        out.writeShort(CRLF);
    }
}
