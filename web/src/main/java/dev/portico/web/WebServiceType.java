package dev.portico.web;

import dev.portico.core.config.Section;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.lifecycle.ServiceType;
import dev.portico.core.net.Cidr;
import dev.portico.core.net.HostPort;
import dev.portico.acme.AcmeSettings;
import dev.portico.core.tls.TlsSettings;
import dev.portico.core.tls.TlsSettingsReader;
import dev.portico.core.transport.ListenSpec;
import dev.portico.web.h2.Http2Options;
import dev.portico.web.http.HttpOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code type: web} in the config file. Reads only its own section:
 *
 * <pre>
 * listen: [127.0.0.1:8080, {address: 0.0.0.0:8443, tls: on, http2: on}]   # strings are TLS when 'tls' is set
 * root: ./site
 * hosts: {example.com: ./example}
 * index: [index.html, index.htm]
 * mime_types: {md: text/markdown}
 * expires: {html: 5m, png: 1d}
 * cache: {max_file_size: 64k, max_size: 64m}
 * gzip: {enabled: true, types: [html, css, js], min_size: 1k, max_size: 100m, level: 6, cache_dir: /var/cache/portico}
 * precompressed: [br, gzip]
 * webdav: {enabled: false, writers: [127.0.0.1/32], users: {alice: secret}, realm: portico}
 * symlinks: inside | follow
 * limits: {request_line: 8k, header_size: 16k, headers: 100, body: 100m, connections: 0, pipelined: 16}  # connections 0: from the descriptor limit
 * timeouts: {header: 10s, idle: 75s, body: 60s, send: 60s}
 * http2: {h2c: false, max_concurrent_streams: 128, max_header_list_size: 16k, initial_window_size: 65535,
 *         max_frame_size: 16k, max_resets: 200, reset_window: 30s, max_queued_control_frames: 10000}
 * access_log: /var/log/portico/access.log
 * error_pages: {404: ./errors/404.html}
 * backlog: 4096
 * tls: {certificates: [{cert: site.pem, key: site.key}], redirect_http: 0.0.0.0:80, hsts: 365d}  # see TlsSettingsReader
 * tls: {acme: {directory: https://..., names: [example.com]}, redirect_http: 0.0.0.0:80}  # see AcmeSettings
 * </pre>
 */
public final class WebServiceType implements ServiceType<WebConfig> {

    @Override
    public String name() {
        return "web";
    }

    @Override
    public WebConfig parse(String serviceName, Section s) {
        WebConfig.Builder b = WebConfig.builder();
        s.string("type", "web");
        boolean hasTls = s.has("tls");
        Section tlsSection = hasTls ? s.section("tls") : null;
        boolean hasAcme = hasTls && tlsSection.has("acme");
        AcmeSettings acme = hasAcme ? AcmeSettings.read(tlsSection.section("acme")) : null;
        TlsSettings tls = hasTls ? TlsSettingsReader.read(tlsSection, hasAcme) : null;
        List<ListenSpec> listen = ListenSpec.read(s, "listen",
                List.of(hasTls ? ListenSpec.tls(new HostPort("127.0.0.1", 8443)) : ListenSpec.plain(new HostPort("127.0.0.1", 8080))),
                hasTls);
        for (ListenSpec l : listen) {
            if (l.tls() && !hasTls) {
                s.problem("listen", "listener " + l.address() + " is TLS ('tls: on') but '" + s.path()
                        + "' has no 'tls' section with its certificates");
            } else if (l.tls() && tls == null) {
                b.listen(ListenSpec.plain(l.address())); // the tls section's problems are reported already
            } else {
                b.listen(l);
            }
        }
        if (tls != null && listen.stream().noneMatch(ListenSpec::tls)) {
            s.problem("tls", "'" + s.path() + ".tls' is set but no listener is TLS");
        }
        if (tls != null && tls.redirectHttp() != null
                && listen.stream().anyMatch(l -> l.address().equals(tls.redirectHttp()))) {
            s.problem("tls", "'" + s.path() + ".tls.redirect_http' " + tls.redirectHttp() + " is also in 'listen'");
        }
        b.tls(tls);
        b.acme(tls == null ? null : acme);
        b.root(dir(s, "root", "."));
        Section hosts = s.section("hosts");
        for (String host : hosts.keys()) {
            b.host(host, dir(hosts, host, "."));
        }
        b.index(s.strings("index", List.of("index.html", "index.htm")));
        s.stringMap("mime_types").forEach(b::mimeType);
        Section expires = s.section("expires");
        for (String ext : expires.keys()) {
            b.expires(ext, expires.duration(ext, Duration.ZERO));
        }
        Section cache = s.section("cache");
        b.cacheMaxFileSize(cache.size("max_file_size", 64 * 1024));
        b.cacheMaxSize(cache.size("max_size", 64L << 20));
        cache.finish();

        Section gz = s.section("gzip");
        WebConfig.Gzip off = WebConfig.Gzip.off();
        String cacheDir = gz.string("cache_dir", null);
        b.gzip(new WebConfig.Gzip(gz.bool("enabled", false), gz.strings("types", off.types()),
                gz.size("min_size", off.minSize()), gz.size("max_size", off.maxSize()),
                gz.integer("level", off.level(), 1, 9), cacheDir == null ? null : relative(gz, cacheDir)));
        gz.finish();
        b.precompressed(s.list("precompressed", List.of("br", "gzip"), v -> {
            if (!v.equals("br") && !v.equals("gzip")) {
                throw new IllegalArgumentException("'" + v + "' is not br or gzip");
            }
            return v;
        }));

        Section dav = s.section("webdav");
        b.webdav(new WebConfig.WebDav(dav.bool("enabled", false),
                dav.list("writers", List.of(Cidr.parse("127.0.0.1/32"), Cidr.parse("::1/128")), Cidr::parse),
                dav.stringMap("users"), dav.string("realm", "portico")));
        dav.finish();

        b.followSymlinksOutside("follow".equals(s.oneOf("symlinks", "inside", List.of("inside", "follow"))));

        HttpOptions d = HttpOptions.defaults();
        Section limits = s.section("limits");
        Section timeouts = s.section("timeouts");
        Duration send = timeouts.duration("send", d.sendTimeout());
        if (send.isZero()) {
            timeouts.problem("send", "'" + timeouts.path() + ".send' must be more than 0s");
            send = d.sendTimeout();
        }
        b.http(new HttpOptions(
                (int) Math.min(limits.size("request_line", d.maxRequestLine()), Integer.MAX_VALUE),
                (int) Math.min(limits.size("header_size", d.maxHeaderSize()), Integer.MAX_VALUE),
                limits.integer("headers", d.maxHeaders(), 1, 10_000),
                limits.size("body", d.maxBodySize()),
                limits.integer("connections", d.maxConnections(), 0, 10_000_000),
                timeouts.duration("header", d.headerTimeout()),
                timeouts.duration("idle", d.idleTimeout()),
                timeouts.duration("body", d.bodyTimeout()),
                limits.integer("pipelined", d.maxPipelined(), 1, 1024),
                send, Http2Options.parse(s.section("http2"))));
        limits.finish();
        timeouts.finish();

        String accessLog = s.string("access_log", null);
        if (accessLog != null && !accessLog.equals("off")) {
            b.accessLog(relative(s, accessLog));
        }
        Section pages = s.section("error_pages");
        for (String code : pages.keys()) {
            int status;
            try {
                status = Integer.parseInt(code);
            } catch (NumberFormatException e) {
                pages.problem(code, "'" + code + "' is not a status code");
                continue;
            }
            if (status < 400 || status > 599) {
                pages.problem(code, "error pages are for statuses 400 to 599, not " + status);
                continue;
            }
            String file = pages.string(code, null);
            if (file != null) {
                Path page = relative(pages, file);
                if (!Files.isReadable(page)) {
                    pages.problem(code, "error page " + file + " cannot be read");
                }
                b.errorPage(status, page);
            }
        }
        b.backlog(s.integer("backlog", 4096, 1, 1 << 20));
        s.finish();
        return b.build();
    }

    private static Path dir(Section s, String key, String def) {
        String v = s.string(key, def);
        Path p = relative(s, v);
        if (!Files.isDirectory(p)) {
            s.problem(key, "'" + v + "' is not a directory");
        }
        return p;
    }

    /** Resolves a path written in a config file against that file's directory. */
    private static Path relative(Section s, String value) {
        Path p = Path.of(value);
        if (p.isAbsolute()) {
            return p;
        }
        Path file = Path.of(s.location().file());
        if (Files.isRegularFile(file)) {
            Path parent = file.toAbsolutePath().getParent();
            return parent == null ? p : parent.resolve(p).normalize();
        }
        return p;
    }

    /** Writes a config back as its section, paths absolute; settings at their default are left out. */
    @Override
    public Optional<Map<String, Object>> toYaml(WebConfig config) {
        return Optional.of(WebConfigYaml.write(this, config));
    }

    @Override
    public Service create(String serviceName, WebConfig config, ServiceContext context) {
        return new WebServer(serviceName, config, context);
    }
}
