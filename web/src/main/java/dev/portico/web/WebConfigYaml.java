package dev.portico.web;

import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.Durations;
import dev.portico.core.config.Location;
import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.Sizes;
import dev.portico.core.config.YamlWriter;
import dev.portico.core.net.Cidr;
import dev.portico.core.tls.TlsSettingsReader;
import dev.portico.core.transport.ListenSpec;
import dev.portico.web.http.HttpOptions;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a {@link WebConfig} as the {@code type: web} section that {@link WebServiceType} reads
 * back to an equal config. Paths are written absolute; settings at their default are left out,
 * except {@code listen} and {@code root}.
 */
final class WebConfigYaml {

    private WebConfigYaml() {
    }

    static Map<String, Object> write(WebServiceType type, WebConfig c) {
        Map<String, Object> out = YamlWriter.withoutDefaults(full(c), full(defaults(type)), List.of("type", "listen", "root"));
        if (out.get("gzip") instanceof Map<?, ?> gzip && !gzip.containsKey("enabled")) {
            // 'gzip.types' alone turns gzip on, so an explicit 'enabled: false' must stay.
            @SuppressWarnings("unchecked")
            Map<String, Object> g = (Map<String, Object>) gzip;
            Map<String, Object> withFlag = new LinkedHashMap<>();
            withFlag.put("enabled", c.gzip().enabled());
            withFlag.putAll(g);
            out.put("gzip", withFlag);
        }
        return out;
    }

    /** What an empty section reads as: the reference for leaving defaults out. */
    private static WebConfig defaults(WebServiceType type) {
        ConfigNode empty = new ConfigNode.MapNode(Location.of("defaults"), Map.of(), Map.of());
        return type.parse("defaults", Section.of(empty, "defaults", new Problems()));
    }

    private static Map<String, Object> full(WebConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "web");
        m.put("listen", c.listeners().stream().map(l -> listen(l, c.tls() != null)).toList());
        m.put("root", path(c.root()));
        Map<String, Object> hosts = new TreeMap<>();
        c.hosts().forEach((h, p) -> hosts.put(h, path(p)));
        m.put("hosts", hosts);
        m.put("index", c.index());
        m.put("mime_types", new TreeMap<>(c.mimeTypes()));
        Map<String, Object> expires = new TreeMap<>();
        c.expires().forEach((ext, d) -> expires.put(ext, Durations.format(d)));
        m.put("expires", expires);
        Map<String, Object> cache = new LinkedHashMap<>();
        cache.put("max_file_size", Sizes.format(c.cacheMaxFileSize()));
        cache.put("max_size", Sizes.format(c.cacheMaxSize()));
        m.put("cache", cache);
        WebConfig.Gzip g = c.gzip();
        Map<String, Object> gzip = new LinkedHashMap<>();
        gzip.put("enabled", g.enabled());
        gzip.put("types", g.types());
        gzip.put("min_size", Sizes.format(g.minSize()));
        gzip.put("max_size", Sizes.format(g.maxSize()));
        gzip.put("level", g.level());
        gzip.put("cache_dir", g.cacheDir() == null ? null : path(g.cacheDir()));
        m.put("gzip", gzip);
        m.put("precompressed", c.precompressed());
        WebConfig.WebDav d = c.webdav();
        Map<String, Object> dav = new LinkedHashMap<>();
        dav.put("enabled", d.enabled());
        dav.put("writers", d.writers().stream().map(Cidr::toString).toList());
        dav.put("users", new TreeMap<>(d.users()));
        dav.put("realm", d.realm());
        m.put("webdav", dav);
        m.put("symlinks", c.followSymlinksOutside() ? "follow" : "inside");
        HttpOptions h = c.http();
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("request_line", Sizes.format(h.maxRequestLine()));
        limits.put("header_size", Sizes.format(h.maxHeaderSize()));
        limits.put("headers", h.maxHeaders());
        limits.put("body", Sizes.format(h.maxBodySize()));
        if (h.maxConnections() > 0) {
            limits.put("connections", h.maxConnections());
        }
        limits.put("pipelined", h.maxPipelined());
        m.put("limits", limits);
        Map<String, Object> timeouts = new LinkedHashMap<>();
        timeouts.put("header", Durations.format(h.headerTimeout()));
        timeouts.put("idle", Durations.format(h.idleTimeout()));
        timeouts.put("body", Durations.format(h.bodyTimeout()));
        timeouts.put("send", Durations.format(h.sendTimeout()));
        m.put("timeouts", timeouts);
        m.put("http2", h.http2().toYaml());
        m.put("access_log", c.accessLog() == null ? null : path(c.accessLog()));
        Map<String, Object> pages = new TreeMap<>();
        c.errorPages().forEach((status, p) -> pages.put(String.valueOf(status), path(p)));
        m.put("error_pages", pages);
        m.put("backlog", c.backlog());
        Map<String, Object> tls = c.tls() == null ? null : TlsSettingsReader.write(c.tls());
        if (tls != null && c.acme() != null) {
            tls.put("acme", c.acme().toYaml());
        }
        m.put("tls", tls);
        return m;
    }

    /** A string when the entry is what a string reads as (TLS with HTTP/2 on when 'tls' is set), else a mapping. */
    private static Object listen(ListenSpec l, boolean tlsSection) {
        boolean plainDefault = !tlsSection && !l.tls() && l.http2() == ListenSpec.Http2.OFF;
        boolean tlsDefault = tlsSection && l.tls() && l.http2() == ListenSpec.Http2.ON;
        if (plainDefault || tlsDefault) {
            return l.address().toString();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("address", l.address().toString());
        m.put("tls", l.tls() ? "on" : "off");
        m.put("http2", l.http2().name().toLowerCase(java.util.Locale.ROOT));
        return m;
    }

    private static String path(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }
}
