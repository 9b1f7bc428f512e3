package dev.portico.web.files;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** File extension → Content-Type, from a built-in table plus overrides from the config. */
public final class MimeTypes {

    private static final String DEFAULT = "application/octet-stream";
    private final Map<String, String> byExtension;

    private MimeTypes(Map<String, String> byExtension) {
        this.byExtension = Map.copyOf(byExtension);
    }

    /** The built-in table with {@code overrides} (extension → type) on top. */
    public static MimeTypes withOverrides(Map<String, String> overrides) {
        Map<String, String> m = new HashMap<>();
        put(m, "text/html; charset=utf-8", "html", "htm", "shtml");
        put(m, "text/plain; charset=utf-8", "txt", "text", "log", "conf", "ini", "md", "csv");
        put(m, "text/css; charset=utf-8", "css");
        put(m, "text/xml; charset=utf-8", "xml");
        put(m, "text/javascript; charset=utf-8", "js", "mjs");
        put(m, "application/json", "json", "map");
        put(m, "application/manifest+json", "webmanifest");
        put(m, "application/wasm", "wasm");
        put(m, "application/pdf", "pdf");
        put(m, "application/zip", "zip");
        put(m, "application/gzip", "gz", "tgz");
        put(m, "application/x-tar", "tar");
        put(m, "application/x-bzip2", "bz2");
        put(m, "application/x-xz", "xz");
        put(m, "application/zstd", "zst");
        put(m, "application/rss+xml", "rss");
        put(m, "application/atom+xml", "atom");
        put(m, "application/xhtml+xml", "xhtml");
        put(m, "application/octet-stream", "bin", "exe", "dll", "iso", "img", "deb", "rpm");
        put(m, "image/png", "png");
        put(m, "image/jpeg", "jpg", "jpeg");
        put(m, "image/gif", "gif");
        put(m, "image/webp", "webp");
        put(m, "image/avif", "avif");
        put(m, "image/svg+xml", "svg", "svgz");
        put(m, "image/x-icon", "ico");
        put(m, "image/bmp", "bmp");
        put(m, "image/tiff", "tif", "tiff");
        put(m, "font/woff", "woff");
        put(m, "font/woff2", "woff2");
        put(m, "font/ttf", "ttf");
        put(m, "font/otf", "otf");
        put(m, "audio/mpeg", "mp3");
        put(m, "audio/ogg", "ogg", "oga");
        put(m, "audio/wav", "wav");
        put(m, "audio/flac", "flac");
        put(m, "video/mp4", "mp4", "m4v");
        put(m, "video/webm", "webm");
        put(m, "video/ogg", "ogv");
        put(m, "video/quicktime", "mov");
        overrides.forEach((ext, type) -> m.put(ext.toLowerCase(Locale.ROOT).replaceFirst("^\\.", ""), type));
        return new MimeTypes(m);
    }

    private static void put(Map<String, String> m, String type, String... exts) {
        for (String e : exts) {
            m.put(e, type);
        }
    }

    /** The type for a file name, by the text after its last dot. */
    public String forName(String fileName) {
        String ext = extension(fileName);
        return ext == null ? DEFAULT : byExtension.getOrDefault(ext, DEFAULT);
    }

    /** The lower-cased text after the last dot of the name, or null. */
    public static String extension(String fileName) {
        int slash = fileName.lastIndexOf('/');
        int dot = fileName.lastIndexOf('.');
        if (dot <= slash + 1 || dot == fileName.length() - 1) {
            return null;
        }
        return fileName.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
