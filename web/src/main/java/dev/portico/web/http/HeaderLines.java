package dev.portico.web.http;

import io.netty.buffer.ByteBuf;

/**
 * Header lines a caller writes straight into a response head ({@link Exchange#beginStream}),
 * each ending in CRLF: the proxy's way to relay a backend's fields without building a
 * {@link ResponseHead} or a string per field.
 */
public interface HeaderLines {

    /** About how many bytes {@link #writeTo} writes (the buffer grows if it is more). */
    int estimatedLength();

    /** Writes the lines. */
    void writeTo(ByteBuf out);
}
