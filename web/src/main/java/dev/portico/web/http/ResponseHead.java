package dev.portico.web.http;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A response's status and headers, rendered straight to bytes. Date and Connection are added by
 * the exchange when it writes, so a rendered block can be cached and reused.
 */
public final class ResponseHead {

    private int status;
    private final List<String> headers = new ArrayList<>(8);

    private ResponseHead(int status) {
        this.status = status;
    }

    public static ResponseHead of(int status) {
        return new ResponseHead(status);
    }

    public int status() {
        return status;
    }

    public ResponseHead status(int code) {
        this.status = code;
        return this;
    }

    /** Adds a header; values are written as given (callers keep CR and LF out). */
    public ResponseHead header(String name, Object value) {
        String v = String.valueOf(value);
        if (v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0 || name.indexOf(':') >= 0) {
            throw new IllegalArgumentException("header " + name + " has a line break or colon");
        }
        headers.add(name);
        headers.add(v);
        return this;
    }

    /** Replaces every header of that name (case-insensitive) with one value. */
    public ResponseHead set(String name, Object value) {
        remove(name);
        return header(name, value);
    }

    public ResponseHead remove(String name) {
        for (int i = headers.size() - 2; i >= 0; i -= 2) {
            if (headers.get(i).equalsIgnoreCase(name)) {
                headers.remove(i + 1);
                headers.remove(i);
            }
        }
        return this;
    }

    /** The first value of a header, or null. */
    public String get(String name) {
        for (int i = 0; i < headers.size(); i += 2) {
            if (headers.get(i).equalsIgnoreCase(name)) {
                return headers.get(i + 1);
            }
        }
        return null;
    }

    /** The header lines, each ending in CRLF, without status line, Date or Connection. */
    public byte[] renderHeaders() {
        StringBuilder sb = new StringBuilder(256);
        for (int i = 0; i < headers.size(); i += 2) {
            sb.append(headers.get(i)).append(": ").append(headers.get(i + 1)).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static final int[] COMMON = {200, 206, 301, 304, 400, 403, 404, 416};
    private static final byte[][] LINES_11 = new byte[COMMON.length][];
    private static final byte[][] LINES_10 = new byte[COMMON.length][];

    static {
        for (int i = 0; i < COMMON.length; i++) {
            LINES_11[i] = render("HTTP/1.1", COMMON[i]);
            LINES_10[i] = render("HTTP/1.0", COMMON[i]);
        }
    }

    private static byte[] render(String version, int status) {
        return (version + " " + status + " " + Status.reason(status) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Writes the status line for a version ("HTTP/1.1" or "HTTP/1.0"). */
    public static void writeStatusLine(ByteBuf out, String version, int status) {
        for (int i = 0; i < COMMON.length; i++) {
            if (COMMON[i] == status) {
                out.writeBytes(version.equals("HTTP/1.1") ? LINES_11[i] : LINES_10[i]);
                return;
            }
        }
        out.writeBytes(render(version, status));
    }
}
