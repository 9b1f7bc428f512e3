package dev.portico.web.dav;

import dev.portico.web.http.Exchange;
import dev.portico.web.http.ResponseHead;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;

/** The small fixed answers of WebDAV methods. */
final class DavReplies {

    private static final byte[] NO_CONTENT = new byte[0];
    private static final byte[] OPTIONS = ("Allow: " + WebDavHandler.ALLOW + "\r\nDAV: 1\r\nMS-Author-Via: DAV\r\n"
            + "Content-Length: 0\r\n").getBytes(StandardCharsets.US_ASCII);

    private DavReplies() {
    }

    /** 204 with no Content-Length, as RFC 9110 §8.6 asks. */
    static void noContent(Exchange ex) {
        ex.respondPrerendered(204, NO_CONTENT, null);
    }

    static void created(Exchange ex) {
        ex.respond(201, "text/plain; charset=utf-8", "201 Created\n");
    }

    static void options(Exchange ex) {
        ex.respondPrerendered(200, OPTIONS, null);
    }

    static void multiStatus(Exchange ex, String xml) {
        ex.respond(ResponseHead.of(207).header("Content-Type", "application/xml; charset=utf-8"),
                Unpooled.wrappedBuffer(xml.getBytes(StandardCharsets.UTF_8)));
    }

    /** A status with a DAV:error body naming the precondition that failed. */
    static void condition(Exchange ex, int status, String condition) {
        ex.respond(ResponseHead.of(status).header("Content-Type", "application/xml; charset=utf-8"),
                Unpooled.wrappedBuffer(("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\"><D:"
                        + condition + "/></D:error>\n").getBytes(StandardCharsets.UTF_8)));
    }
}
