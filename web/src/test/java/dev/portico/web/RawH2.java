package dev.portico.web;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/2 client that writes and reads raw frames over a plain socket (h2c with prior
 * knowledge), for attacks a well-behaved client library would refuse to make.
 */
final class RawH2 implements AutoCloseable {

    static final int DATA = 0;
    static final int HEADERS = 1;
    static final int RST_STREAM = 3;
    static final int SETTINGS = 4;
    static final int PING = 6;
    static final int GOAWAY = 7;
    static final int WINDOW_UPDATE = 8;
    static final int CONTINUATION = 9;

    static final int END_STREAM = 0x1;
    static final int END_HEADERS = 0x4;
    static final int ACK = 0x1;

    /** One frame read. */
    record Frame(int type, int flags, int stream, byte[] payload) {
        boolean endStream() {
            return (flags & END_STREAM) != 0;
        }

        /** For GOAWAY and RST_STREAM: the error code. */
        int errorCode() {
            int at = type == GOAWAY ? 4 : 0;
            return ((payload[at] & 0xff) << 24) | ((payload[at + 1] & 0xff) << 16) | ((payload[at + 2] & 0xff) << 8)
                    | (payload[at + 3] & 0xff);
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private final DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false, 1 << 20);

    /** Connects, sends the preface and a SETTINGS frame of {@code settings} (id, value pairs). */
    RawH2(int port, int... settings) throws IOException {
        this(port, 0, true, settings);
    }

    /**
     * A client with a socket receive buffer of {@code receiveBuffer} bytes (0: the system's), for
     * a client that reads nothing and must make the server's answers pile up.
     */
    static RawH2 withReceiveBuffer(int port, int receiveBuffer) throws IOException {
        return new RawH2(port, receiveBuffer, true);
    }

    private RawH2(int port, int receiveBuffer, boolean unused, int... settings) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        out = socket.getOutputStream();
        in = new DataInputStream(socket.getInputStream());
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] payload = new byte[settings.length * 3];
        for (int i = 0, at = 0; i < settings.length; i += 2, at += 6) {
            payload[at] = (byte) (settings[i] >> 8);
            payload[at + 1] = (byte) settings[i];
            int v = settings[i + 1];
            payload[at + 2] = (byte) (v >> 24);
            payload[at + 3] = (byte) (v >> 16);
            payload[at + 4] = (byte) (v >> 8);
            payload[at + 5] = (byte) v;
        }
        frame(SETTINGS, 0, 0, payload);
        out.flush();
    }

    Socket socket() {
        return socket;
    }

    /** Writes one frame (not flushed). */
    void frame(int type, int flags, int stream, byte[] payload) throws IOException {
        byte[] head = new byte[9];
        head[0] = (byte) (payload.length >> 16);
        head[1] = (byte) (payload.length >> 8);
        head[2] = (byte) payload.length;
        head[3] = (byte) type;
        head[4] = (byte) flags;
        head[5] = (byte) ((stream >> 24) & 0x7f);
        head[6] = (byte) (stream >> 16);
        head[7] = (byte) (stream >> 8);
        head[8] = (byte) stream;
        out.write(head);
        out.write(payload);
    }

    void flush() throws IOException {
        out.flush();
    }

    /** HPACK-encodes a header block with this connection's encoder. */
    byte[] encode(Http2Headers headers) throws Exception {
        ByteBuf buf = Unpooled.buffer();
        try {
            encoder.encodeHeaders(1, headers, buf);
            byte[] b = new byte[buf.readableBytes()];
            buf.readBytes(b);
            return b;
        } finally {
            buf.release();
        }
    }

    static Http2Headers get(String path) {
        return new DefaultHttp2Headers().method("GET").scheme("http").authority("localhost").path(path);
    }

    /** Sends a request's HEADERS (one frame, END_HEADERS) and flushes. */
    void request(int stream, Http2Headers headers, boolean endStream) throws Exception {
        frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, encode(headers));
        flush();
    }

    void rst(int stream, int code) throws IOException {
        frame(RST_STREAM, 0, stream, int32(code));
    }

    void windowUpdate(int stream, int increment) throws IOException {
        frame(WINDOW_UPDATE, 0, stream, int32(increment));
        flush();
    }

    static byte[] int32(int v) {
        return new byte[] {(byte) (v >> 24), (byte) (v >> 16), (byte) (v >> 8), (byte) v};
    }

    /** Reads the next frame; null when the server closed the connection. */
    Frame read() throws IOException {
        byte[] head = new byte[9];
        try {
            in.readFully(head);
        } catch (EOFException | SocketException e) {
            return null;
        }
        int length = ((head[0] & 0xff) << 16) | ((head[1] & 0xff) << 8) | (head[2] & 0xff);
        byte[] payload = new byte[length];
        try {
            in.readFully(payload);
        } catch (EOFException | SocketException e) {
            return null;
        }
        int stream = ((head[5] & 0x7f) << 24) | ((head[6] & 0xff) << 16) | ((head[7] & 0xff) << 8) | (head[8] & 0xff);
        return new Frame(head[3] & 0xff, head[4] & 0xff, stream, payload);
    }

    /** Decodes a HEADERS frame's block (one frame, padding and priority not used by the server). */
    Http2Headers headers(Frame f) throws Exception {
        ByteBuf buf = Unpooled.wrappedBuffer(f.payload());
        return decoder.decodeHeaders(f.stream(), buf);
    }

    /** Reads frames until the connection ends or a GOAWAY comes; returns the GOAWAY or null. */
    Frame untilGoAway() throws IOException {
        for (;;) {
            Frame f = read();
            if (f == null || f.type() == GOAWAY) {
                return f;
            }
        }
    }

    /** Reads until the server closes the connection; true if it did (false: read timed out). */
    boolean closedByServer() throws IOException {
        try {
            while (read() != null) {
                // keep reading
            }
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        }
    }

    /** Reads a stream's response: status and body, acknowledging SETTINGS on the way. */
    Response response(int stream) throws Exception {
        Http2Headers head = null;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (;;) {
            Frame f = read();
            if (f == null) {
                throw new EOFException("connection closed before the response to stream " + stream + " ended");
            }
            if (f.type() == SETTINGS && (f.flags() & ACK) == 0) {
                frame(SETTINGS, ACK, 0, new byte[0]);
                flush();
                continue;
            }
            if (f.stream() != stream) {
                continue;
            }
            if (f.type() == HEADERS) {
                Http2Headers h = headers(f);
                if (head == null || !h.status().toString().startsWith("1")) {
                    head = h;
                }
            } else if (f.type() == DATA) {
                body.write(f.payload());
            } else if (f.type() == RST_STREAM) {
                throw new IOException("stream " + stream + " reset: " + f.errorCode());
            }
            if (f.endStream()) {
                return new Response(Integer.parseInt(head.status().toString()), head, body.toByteArray());
            }
        }
    }

    /** Reads the DATA of a stream until it ends, skipping every other frame. */
    byte[] body(int stream) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (;;) {
            Frame f = read();
            if (f == null) {
                throw new EOFException("connection closed before stream " + stream + " ended");
            }
            if (f.stream() == stream && f.type() == DATA) {
                body.write(f.payload());
            }
            if (f.stream() == stream && (f.endStream() || f.type() == RST_STREAM)) {
                return body.toByteArray();
            }
        }
    }

    /** Reads the DATA of {@code count} streams until each has ended, by stream. */
    java.util.Map<Integer, String> bodies(int count) throws IOException {
        java.util.Map<Integer, ByteArrayOutputStream> bodies = new java.util.TreeMap<>();
        int ended = 0;
        while (ended < count) {
            Frame f = read();
            if (f == null) {
                throw new EOFException("connection closed after " + ended + " streams ended");
            }
            if (f.stream() == 0) {
                continue;
            }
            ByteArrayOutputStream b = bodies.computeIfAbsent(f.stream(), k -> new ByteArrayOutputStream());
            if (f.type() == DATA) {
                b.write(f.payload());
            }
            if (f.endStream() || f.type() == RST_STREAM) {
                ended++;
            }
        }
        java.util.Map<Integer, String> out = new java.util.TreeMap<>();
        bodies.forEach((k, v) -> out.put(k, v.toString(StandardCharsets.ISO_8859_1)));
        return out;
    }

    record Response(int status, Http2Headers headers, byte[] body) {
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
