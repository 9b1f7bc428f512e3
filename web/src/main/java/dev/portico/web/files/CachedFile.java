package dev.portico.web.files;

import java.nio.file.Path;

/**
 * What the cache remembers about one request path, so that the next request for it costs no file
 * system call to find: a small file's whole 200 response (header lines and body), a larger file's
 * rendered header lines and where its bytes are (sent by zero-copy), or the fact that nothing is
 * there (404). The root watcher drops an entry as soon as its file or directory changes.
 *
 * @param file         the path whose changes invalidate this entry (the file, or where it would be)
 * @param source       the file whose bytes are sent (the file itself, a precompressed sibling or a
 *                     stored gzip variant); null unless this is a {@link #isRegion() region} entry
 * @param status       200, or 404 for a missing file
 * @param headerLines  rendered header lines, each ending in CRLF, without Date and Connection
 * @param body         the body as sent, for small files; null otherwise
 * @param length       the number of body bytes
 * @param etag         the strong validator, quoted
 * @param lastModified the file's mtime in milliseconds, truncated to seconds
 * @param maxAge       seconds for a fresh Expires line, or -1 for none
 */
public record CachedFile(Path file, Path source, int status, byte[] headerLines, byte[] body, long length, String etag,
                         long lastModified, long maxAge) {

    /** A small file's whole response. */
    public static CachedFile inMemory(Path file, byte[] headerLines, byte[] body, String etag, long lastModified,
                                      long maxAge) {
        return new CachedFile(file, null, 200, headerLines, body, body.length, etag, lastModified, maxAge);
    }

    /** A larger file's header lines; the body is sent from {@code source}. */
    public static CachedFile region(Path file, Path source, byte[] headerLines, long length, String etag,
                                    long lastModified, long maxAge) {
        return new CachedFile(file, source, 200, headerLines, null, length, etag, lastModified, maxAge);
    }

    /** Nothing at {@code wouldBe}. */
    public static CachedFile missing(Path wouldBe) {
        return new CachedFile(wouldBe, null, 404, new byte[0], null, 0, null, 0, -1);
    }

    public boolean isMissing() {
        return status == 404;
    }

    public boolean isRegion() {
        return status == 200 && body == null;
    }

    /** Bytes held, for the cache's weight. */
    public int weight() {
        return headerLines.length + (body == null ? 0 : body.length) + 128;
    }
}
