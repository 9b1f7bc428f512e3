package dev.portico.web.files;

import java.nio.file.Path;

/**
 * A small file's whole 200 response, rendered once: header lines (with Content-Length, ETag,
 * Last-Modified, Content-Type…) and the body bytes. Serving it costs one buffer copy and a write.
 *
 * @param file         the file's real path, for invalidation
 * @param headerLines  rendered header lines, each ending in CRLF, without Date and Connection
 * @param body         the body as sent (compressed for an encoded variant)
 * @param etag         the strong validator, quoted
 * @param lastModified the file's mtime in milliseconds, truncated to seconds
 * @param maxAge       seconds for a fresh Expires line, or -1 for none
 * @param contentType  for multipart range parts
 * @param rangeable    true when ranges may be cut from the body
 */
public record CachedFile(Path file, byte[] headerLines, byte[] body, String etag, long lastModified, long maxAge,
                         String contentType, boolean rangeable) {

    /** Bytes held, for the cache's weight. */
    public int weight() {
        return headerLines.length + body.length + 128;
    }
}
