package dev.portico.proxy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/** Scripted backend answers for the cache tests. */
final class Replies {

    private Replies() {
    }

    /**
     * Writes a response with Content-Length and the given extra header lines ("Name: value"); a
     * null body writes a HEAD answer (Content-Length 5, no body).
     */
    static boolean write(OutputStream out, int status, String body, String... headers) throws IOException {
        byte[] b = (body == null ? "" : body).getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder("HTTP/1.1 " + status + " X\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        sb.append("Content-Length: ").append(body == null ? 5 : b.length).append("\r\n\r\n");
        out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (status != 304 && status != 204) {
            out.write(b);
        }
        out.flush();
        return true;
    }

    /** The same answer to every request (without the body for HEAD). */
    static Origin.Script always(int status, String body, String... headers) {
        return (req, in, out) -> write(out, status, req.head().line().startsWith("HEAD") ? null : body, headers);
    }

    /** An answer made from the request. */
    static Origin.Script by(Function<Origin.Seen, String[]> headers, Function<Origin.Seen, String> body) {
        return (req, in, out) -> write(out, 200, body.apply(req), headers.apply(req));
    }
}
