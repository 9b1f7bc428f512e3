package dev.portico.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A minimal blocking HTTP/1.1 reader for tests: heads, and bodies by length, chunks or close. */
final class Http {

    private Http() {
    }

    /** A request or response head: the first line and headers by lower-case name (repeats joined with ", "). */
    record Head(String line, Map<String, String> headers) {
        String get(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        int status() {
            return Integer.parseInt(line.split(" ")[1]);
        }

        boolean chunked() {
            String te = get("transfer-encoding");
            return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
        }

        long length() {
            String cl = get("content-length");
            return cl == null ? -1 : Long.parseLong(cl.strip());
        }
    }

    /** A response with its body read into memory. */
    record Response(Head head, byte[] body) {
        int status() {
            return head.status();
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return head.get(name);
        }
    }

    static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                return sb.isEmpty() ? null : sb.toString();
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    /** Reads a head; null at end of stream. */
    static Head head(InputStream in) throws IOException {
        String first = line(in);
        if (first == null) {
            return null;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        String l;
        while ((l = line(in)) != null && !l.isEmpty()) {
            int colon = l.indexOf(':');
            String name = l.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = l.substring(colon + 1).strip();
            headers.merge(name, value, (a, b) -> a + ", " + b);
        }
        return new Head(first, headers);
    }

    /** Copies a body framed by {@code head} to {@code out}; returns the byte count. */
    static long body(InputStream in, Head head, boolean closeDelimited, OutputStream out) throws IOException {
        byte[] buf = new byte[16384];
        long total = 0;
        if (head.chunked()) {
            while (true) {
                String size = line(in);
                int n = Integer.parseInt(size.split(";")[0].strip(), 16);
                if (n == 0) {
                    while (!line(in).isEmpty()) {
                        // trailers
                    }
                    return total;
                }
                copy(in, out, n, buf);
                total += n;
                line(in);
            }
        }
        long length = head.length();
        if (length >= 0) {
            copy(in, out, length, buf);
            return length;
        }
        if (!closeDelimited) {
            return 0;
        }
        int r;
        while ((r = in.read(buf)) > 0) {
            out.write(buf, 0, r);
            total += r;
        }
        return total;
    }

    private static void copy(InputStream in, OutputStream out, long n, byte[] buf) throws IOException {
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) {
                throw new IOException("truncated body");
            }
            out.write(buf, 0, r);
            n -= r;
        }
    }

    /** Reads a whole response (HEAD responses have no body). */
    static Response response(InputStream in, boolean head) throws IOException {
        Head h = head(in);
        if (h == null) {
            throw new IOException("connection closed without a response");
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int status = h.status();
        if (!head && status != 204 && status != 304 && status >= 200) {
            body(in, h, true, body);
        }
        return new Response(h, body.toByteArray());
    }
}
