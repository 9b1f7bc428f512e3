package dev.portico.web.files;

import dev.portico.core.transport.PathRegion;
import dev.portico.web.WebConfig;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.HttpDates;
import dev.portico.web.http.RequestHandler;
import dev.portico.web.http.ResponseHead;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * GET and HEAD for files under a document root: index files, a 301 to the slash URL for
 * directories, MIME types, strong ETags and Last-Modified with 304 answers, byte ranges (206,
 * multipart/byteranges, 416), Cache-Control and Expires per extension, precompressed siblings,
 * on-the-fly gzip, an in-memory cache of whole small responses, and zero-copy for the rest.
 */
public final class StaticFiles implements RequestHandler {

    private static final Logger log = LoggerFactory.getLogger(StaticFiles.class);

    private final Site defaultSite;
    private final Map<String, Site> hosts;
    private final WebConfig config;
    private final MimeTypes mime;
    private final FileCache cache;
    private final GzipStore gzipStore;
    private final HttpDates dates;
    private final Counter hits;
    private final Counter misses;
    private final ReprDigests digests;

    /**
     * @param defaultSite the root used when no virtual host matches
     * @param hosts       Host (lower case, no port) → site
     * @param gzipStore   where compressed variants persist, or null when gzip is off
     * @param digests     the Repr-Digest values of files, asked for with Want-Repr-Digest
     */
    public StaticFiles(WebConfig config, Site defaultSite, Map<String, Site> hosts, FileCache cache,
                       GzipStore gzipStore, HttpDates dates, MeterRegistry meters, String service,
                       ReprDigests digests) {
        this.digests = digests;
        this.config = config;
        this.defaultSite = defaultSite;
        this.hosts = Map.copyOf(hosts);
        this.mime = MimeTypes.withOverrides(config.mimeTypes());
        this.cache = cache;
        this.gzipStore = gzipStore;
        this.dates = dates;
        this.hits = Counter.builder("portico_web_cache_hits").tag("service", service)
                .description("Responses served from the in-memory file cache").register(meters);
        this.misses = Counter.builder("portico_web_cache_misses").tag("service", service)
                .description("File responses that were not in the in-memory cache").register(meters);
    }

    /** The MIME type table in use, overrides included. */
    public MimeTypes mimeTypes() {
        return mime;
    }

    @Override
    public boolean handle(Exchange ex) throws IOException {
        HttpMethod m = ex.method();
        if (!m.equals(HttpMethod.GET) && !m.equals(HttpMethod.HEAD)) {
            return false;
        }
        Site site = hosts.isEmpty() ? defaultSite : hosts.getOrDefault(ex.host(), defaultSite);
        if (ex.headers().contains(ReprDigests.WANT) && ReprDigests.wantsSha256(ex.headers().get(ReprDigests.WANT))) {
            misses.increment();
            serveWithDigest(ex, site);
            return true;
        }
        String accept = ex.headers().get(HttpHeaderNames.ACCEPT_ENCODING);
        char encoding = acceptClass(accept, ex.version());
        boolean plain = !ex.headers().contains(HttpHeaderNames.RANGE) && !ex.headers().contains(HttpHeaderNames.IF_MODIFIED_SINCE);
        CachedFile hit = cache.get(FileCache.key(site.id(), encoding, ex.rawPath()));
        if (hit != null && plain) {
            hits.increment();
            if (hit.isMissing()) {
                ex.error(404);
                return true;
            }
            String inm = ex.headers().get(HttpHeaderNames.IF_NONE_MATCH);
            if (inm != null && Conditionals.etagMatches(inm, hit.etag())) {
                ex.respond(notModified(hit.etag(), hit.lastModified()), null);
                return true;
            }
            if (hit.isRegion()) {
                ex.respondFile(200, hit.headerLines(), expiresLine(hit.maxAge()),
                        new PathRegion(hit.source(), 0, hit.length()));
                return true;
            }
            ex.respondPrerendered(200, hit.headerLines(), expiresLine(hit.maxAge()), hit.body(), 0, hit.body().length);
            return true;
        }
        misses.increment();
        serveFromDisk(ex, site, accept);
        return true;
    }

    /**
     * The class of client a cached response is kept for: every client of one class gets the same
     * bytes for a path. 'B' accepts brotli, 'G' gzip on HTTP/1.1, 'g' gzip on HTTP/1.0 (no
     * on-the-fly gzip there), 'i' neither.
     */
    private char acceptClass(String accept, String version) {
        if (accept == null) {
            return 'i';
        }
        if (config.precompressed().contains("br") && acceptsToken(accept, "br")) {
            return 'B';
        }
        if ((config.gzip().enabled() || config.precompressed().contains("gzip")) && acceptsToken(accept, "gzip")) {
            return version.equals("HTTP/1.1") ? 'G' : 'g';
        }
        return 'i';
    }

    /**
     * A GET or HEAD that asked for the sha-256 of the file: the identity representation (the
     * digest is of the file's own bytes), with {@code Repr-Digest}, and not kept in the response
     * cache. A digest not known yet is computed before the answer, off the event loop for a
     * large file.
     */
    private void serveWithDigest(Exchange ex, Site site) throws IOException {
        long generation = cache.generation();
        Path file = resolve(ex, site, null, generation);
        if (file == null) {
            return;
        }
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        java.util.concurrent.CompletableFuture<String> digest = digests.digest(file, attrs);
        if (digest.isDone()) {
            serveFile(ex, site, null, file, attrs, generation, digestOrNull(digest, file));
            return;
        }
        digest.whenComplete((d, e) -> ex.context().executor().execute(() -> {
            if (ex.responded() || !ex.context().channel().isActive()) {
                return;
            }
            try {
                // the file may have changed meanwhile: its attributes again, and the digest only if it is the same version
                BasicFileAttributes now = Files.readAttributes(file, BasicFileAttributes.class);
                boolean same = now.size() == attrs.size() && now.lastModifiedTime().equals(attrs.lastModifiedTime());
                serveFile(ex, site, null, file, now, generation, same ? digestOrNull(digest, file) : null);
            } catch (IOException io) {
                log.debug("{} {}: {}", ex.method(), ex.rawPath(), io.toString());
                ex.error(404);
            }
        }));
    }

    private static String digestOrNull(java.util.concurrent.CompletableFuture<String> digest, Path file) {
        try {
            return digest.join();
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
            log.debug("no Repr-Digest for {}: {}", file, e.getCause() == null ? e.toString() : e.getCause().toString());
            return null;
        }
    }

    private void serveFromDisk(Exchange ex, Site site, String accept) throws IOException {
        long generation = cache.generation();
        Path file = resolve(ex, site, accept, generation);
        if (file == null) {
            return;
        }
        serveFile(ex, site, accept, file, Files.readAttributes(file, BasicFileAttributes.class), generation, null);
    }

    /**
     * The file a request names: the file itself, or a directory's index file. Null when it was
     * answered here instead (refused, missing, a redirect to the slash URL, no index).
     */
    private Path resolve(Exchange ex, Site site, String accept, long generation) throws IOException {
        Path file;
        Path wouldBe;
        try {
            List<String> segments = PathResolver.segments(ex.rawPath());
            wouldBe = PathResolver.join(site.realRoot(), segments);
            file = PathResolver.resolve(site.realRoot(), segments, config.followSymlinksOutside());
        } catch (PathResolver.Refused r) {
            log.debug("refused {} from {}: {}", ex.rawPath(), ex.remoteAddress(), r.getMessage());
            ex.error(r.status());
            return null;
        }
        if (file == null) {
            cache.put(FileCache.key(site.id(), acceptClass(accept, ex.version()), ex.rawPath()),
                    CachedFile.missing(wouldBe), generation);
            ex.error(404);
            return null;
        }
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        if (attrs.isDirectory()) {
            if (!ex.rawPath().endsWith("/")) {
                ex.redirect(301, ex.rawPath() + "/" + (ex.query() != null ? "?" + ex.query() : ""));
                return null;
            }
            Path index = findIndex(file, site);
            if (index == null) {
                ex.error(403);
                return null;
            }
            file = index;
            attrs = Files.readAttributes(file, BasicFileAttributes.class);
        }
        if (!attrs.isRegularFile()) {
            ex.error(403);
            return null;
        }
        return file;
    }

    /**
     * Answers with a regular file: 304, a range, or the whole representation.
     *
     * @param digest the Repr-Digest value to send, or null; an answer with one is not kept in the cache
     */
    private void serveFile(Exchange ex, Site site, String accept, Path file, BasicFileAttributes attrs,
                           long generation, String digest) throws IOException {
        if (!attrs.isRegularFile()) {
            ex.error(403);
            return;
        }
        String name = file.getFileName().toString();
        long size = attrs.size();
        long mtime = attrs.lastModifiedTime().toMillis() / 1000 * 1000;
        String etag = Conditionals.etag(mtime, size, "");
        String type = mime.forName(name);
        long maxAge = maxAge(name);

        // Validators: If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        Representation rep = pickRepresentation(ex, file, name, type, size, mtime, accept);
        String inm = ex.headers().get(HttpHeaderNames.IF_NONE_MATCH);
        if (inm != null ? Conditionals.etagMatches(inm, rep.etag)
                : Conditionals.notModifiedSince(ex.headers().get(HttpHeaderNames.IF_MODIFIED_SINCE), mtime, ex.now())) {
            ex.respond(notModified(rep.etag, mtime), null);
            return;
        }

        ResponseHead h = ResponseHead.of(200)
                .header("Content-Type", type)
                .header("Last-Modified", HttpDates.format(mtime))
                .header("ETag", rep.etag)
                .header("Vary", "Accept-Encoding")
                .header("Accept-Ranges", rep.rangeable ? "bytes" : "none");
        if (rep.encoding != null) {
            h.header("Content-Encoding", rep.encoding);
        }
        if (maxAge >= 0) {
            h.header("Cache-Control", "max-age=" + maxAge);
        }
        if (digest != null) {
            h.header("Repr-Digest", digest);
        }

        if (rep.streamGzip) {
            streamGzip(ex, h, file, size, mtime);
            return;
        }

        String range = ex.headers().get(HttpHeaderNames.RANGE);
        if (range != null && rep.rangeable && ifRangeHolds(ex, rep.etag, mtime)) {
            Ranges.Result r = Ranges.parse(range, rep.length);
            if (r instanceof Ranges.Unsatisfiable) {
                ResponseHead e = ResponseHead.of(416).header("Content-Range", "bytes */" + rep.length)
                        .header("Content-Type", "text/html; charset=utf-8");
                ex.respond(e, Unpooled.wrappedBuffer(("<!DOCTYPE html>\n<html><body><h1>416 Range Not Satisfiable"
                        + "</h1></body></html>\n").getBytes(StandardCharsets.UTF_8)));
                return;
            }
            if (r instanceof Ranges.Satisfiable s) {
                serveRanges(ex, h, rep, s.ranges(), type);
                return;
            }
        }

        byte[] extra = expiresLine(maxAge);
        String key = FileCache.key(site.id(), acceptClass(accept, ex.version()), ex.rawPath());
        if (rep.body != null) {
            h.header("Content-Length", rep.body.length);
            byte[] headers = h.renderHeaders();
            if (digest == null) {
                cache.put(key, CachedFile.inMemory(file, headers, rep.body, rep.etag, mtime, maxAge), generation);
            }
            ex.respondPrerendered(200, headers, extra, rep.body, 0, rep.body.length);
            return;
        }
        h.header("Content-Length", rep.length);
        byte[] headers = h.renderHeaders();
        if (digest == null) {
            cache.put(key, CachedFile.region(file, rep.source, headers, rep.length, rep.etag, mtime, maxAge), generation);
        }
        ex.respondFile(200, headers, extra, new PathRegion(rep.source, 0, rep.length));
    }

    /** What will be sent: identity, a precompressed sibling, or gzip made here. */
    private static final class Representation {
        Path source;
        long length;
        String encoding;
        String etag;
        byte[] body;
        boolean rangeable = true;
        boolean streamGzip;
    }

    private Representation pickRepresentation(Exchange ex, Path file, String name, String type, long size, long mtime,
                                              String accept) throws IOException {
        Representation rep = new Representation();
        rep.source = file;
        rep.length = size;
        rep.etag = Conditionals.etag(mtime, size, "");
        boolean wantsRange = ex.headers().contains(HttpHeaderNames.RANGE);
        if (accept != null) {
            for (String enc : config.precompressed()) {
                String token = enc.equals("br") ? "br" : "gzip";
                String suffix = enc.equals("br") ? ".br" : ".gz";
                if (!acceptsToken(accept, token)) {
                    continue;
                }
                Path sibling = file.resolveSibling(name + suffix);
                if (Files.isRegularFile(sibling) && sibling.toRealPath().startsWith(file.getParent())) {
                    BasicFileAttributes sa = Files.readAttributes(sibling, BasicFileAttributes.class);
                    rep.source = sibling;
                    rep.length = sa.size();
                    rep.encoding = token;
                    rep.etag = Conditionals.etag(sa.lastModifiedTime().toMillis() / 1000 * 1000, sa.size(), "-" + enc);
                    break;
                }
            }
        }
        boolean gzipEligible = rep.encoding == null && gzipStore != null && accept != null && !wantsRange
                && acceptsToken(accept, "gzip") && ex.version().equals("HTTP/1.1")
                && size >= config.gzip().minSize() && size <= config.gzip().maxSize() && gzipType(name, type);
        boolean small = size <= config.cacheMaxFileSize();
        if (gzipEligible) {
            rep.encoding = "gzip";
            rep.etag = Conditionals.etag(mtime, size, "-gz");
            if (small) {
                byte[] content = Files.readAllBytes(file);
                rep.body = gzipStore.smallVariant(file, size, mtime, content);
                rep.length = rep.body.length;
            } else {
                Path stored = gzipStore.variant(file, size, mtime);
                if (Files.isRegularFile(stored)) {
                    rep.source = stored;
                    rep.length = Files.size(stored);
                } else {
                    rep.streamGzip = true;
                    rep.rangeable = false;
                }
            }
            return rep;
        }
        if (rep.length <= config.cacheMaxFileSize()) {
            rep.body = Files.readAllBytes(rep.source);
            rep.length = rep.body.length;
        }
        return rep;
    }

    private boolean gzipType(String name, String type) {
        String ext = MimeTypes.extension(name);
        String bare = type.split(";")[0].trim();
        boolean on = false;
        for (String t : config.gzip().types()) {
            boolean remove = t.startsWith("-");
            String v = remove ? t.substring(1) : t;
            if (v.equalsIgnoreCase(bare) || v.equalsIgnoreCase(ext)) {
                on = !remove;
            }
        }
        return on;
    }

    private void streamGzip(Exchange ex, ResponseHead h, Path file, long size, long mtime) throws IOException {
        h.remove("Accept-Ranges");
        if (ex.isHead()) {
            ex.beginChunked(h);
            return;
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        GzipStore.Tee tee;
        try {
            tee = gzipStore.openTee(file, size, mtime);
        } catch (IOException e) {
            log.warn("gzip variant not stored for {}: {}", file, e.toString());
            tee = null;
        }
        ex.beginChunked(h);
        new GzipStreamer(ex, ch, size, gzipStore.level(), tee).next();
    }

    private void serveRanges(Exchange ex, ResponseHead h, Representation rep, List<Ranges.Range> ranges, String type) {
        h.status(206);
        h.remove("Accept-Ranges");
        h.header("Accept-Ranges", "bytes");
        if (ranges.size() == 1) {
            Ranges.Range r = ranges.get(0);
            h.header("Content-Range", "bytes " + r.first() + "-" + r.last() + "/" + rep.length);
            if (rep.body != null) {
                ex.respond(h, Unpooled.wrappedBuffer(rep.body, (int) r.first(), (int) r.length()));
            } else {
                h.header("Content-Length", r.length());
                ex.respondFile(h, new PathRegion(rep.source, r.first(), r.length()));
            }
            return;
        }
        // Fixed width (32 hex digits): the answer's length does not depend on leading zeros.
        HexFormat hex = HexFormat.of();
        String boundary = hex.toHexDigits(ThreadLocalRandom.current().nextLong()) + hex.toHexDigits(System.nanoTime());
        h.set("Content-Type", "multipart/byteranges; boundary=" + boundary);
        h.remove("Content-Encoding");
        List<Object> parts = new ArrayList<>();
        long total = 0;
        for (Ranges.Range r : ranges) {
            String partHead = "\r\n--" + boundary + "\r\nContent-Type: " + type + "\r\n"
                    + (rep.encoding != null ? "Content-Encoding: " + rep.encoding + "\r\n" : "")
                    + "Content-Range: bytes " + r.first() + "-" + r.last() + "/" + rep.length + "\r\n\r\n";
            ByteBuf ph = Unpooled.copiedBuffer(partHead, StandardCharsets.ISO_8859_1);
            total += ph.readableBytes() + r.length();
            parts.add(ph);
            if (rep.body != null) {
                parts.add(Unpooled.wrappedBuffer(rep.body, (int) r.first(), (int) r.length()));
            } else {
                parts.add(new PathRegion(rep.source, r.first(), r.length()));
            }
        }
        ByteBuf end = Unpooled.copiedBuffer("\r\n--" + boundary + "--\r\n", StandardCharsets.ISO_8859_1);
        total += end.readableBytes();
        parts.add(end);
        h.header("Content-Length", total);
        ex.respondParts(h, parts.toArray());
    }

    private boolean ifRangeHolds(Exchange ex, String etag, long mtime) {
        return Conditionals.ifRangeHolds(ex.headers().get(HttpHeaderNames.IF_RANGE), etag, mtime, ex.now());
    }

    private Path findIndex(Path dir, Site site) throws IOException {
        for (String name : config.index()) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                Path real = p.toRealPath();
                if (!real.startsWith(site.realRoot()) && !config.followSymlinksOutside()) {
                    continue;
                }
                return real;
            }
        }
        return null;
    }

    private long maxAge(String name) {
        if (config.expires().isEmpty()) {
            return -1;
        }
        String ext = MimeTypes.extension(name);
        var d = ext == null ? null : config.expires().get(ext);
        if (d == null) {
            d = config.expires().get("*");
        }
        return d == null ? -1 : d.toSeconds();
    }

    private byte[] expiresLine(long maxAge) {
        return maxAge < 0 ? null : dates.expiresLine(maxAge);
    }

    private static ResponseHead notModified(String etag, long mtime) {
        return ResponseHead.of(304).header("ETag", etag).header("Last-Modified", HttpDates.format(mtime))
                .header("Vary", "Accept-Encoding");
    }

    /** True when Accept-Encoding lists {@code token} with a q-value above zero. */
    static boolean acceptsToken(String header, String token) {
        for (String part : header.split(",")) {
            String p = part.trim();
            int semi = p.indexOf(';');
            String name = (semi >= 0 ? p.substring(0, semi) : p).trim();
            if (name.equalsIgnoreCase(token) || name.equals("*")) {
                if (semi >= 0) {
                    String params = p.substring(semi + 1).replace(" ", "").toLowerCase(Locale.ROOT);
                    if (params.startsWith("q=0") && !params.matches("q=0\\.0*[1-9].*")) {
                        return false;
                    }
                }
                return true;
            }
        }
        return false;
    }
}
