package dev.portico.web;

import dev.portico.core.net.Cidr;
import dev.portico.core.net.HostPort;
import dev.portico.acme.AcmeSettings;
import dev.portico.core.tls.TlsSettings;
import dev.portico.core.transport.ListenSpec;
import dev.portico.web.http.HttpOptions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a web service can be told, from a config file or from {@link #builder()}.
 *
 * @param listeners             addresses to listen on, each plain or TLS
 * @param root                  the document root
 * @param hosts                 virtual hosts: Host header (without port, lower case) → root
 * @param index                 index files tried in order for a directory
 * @param mimeTypes             extension → Content-Type overrides
 * @param expires               extension → max-age for Cache-Control and Expires
 * @param cacheMaxFileSize      files up to this size are served from memory
 * @param cacheMaxSize          total bytes the memory cache may hold
 * @param gzip                  on-the-fly compression
 * @param precompressed         sibling encodings served as is, in order of preference ("br", "gzip")
 * @param webdav                PUT, DELETE and MKCOL
 * @param followSymlinksOutside true to serve links whose target is outside the root
 * @param http                  limits and timeouts
 * @param accessLog             combined-format access log file, or null
 * @param errorPages            status → file served as that status's body
 * @param backlog               listen backlog
 * @param tls                   certificates and TLS options for the TLS listeners, or null without any
 * @param acme                  certificates obtained through ACME for the TLS listeners ({@code tls.acme}), or null
 */
public record WebConfig(List<ListenSpec> listeners, Path root, Map<String, Path> hosts, List<String> index,
                        Map<String, String> mimeTypes, Map<String, Duration> expires, long cacheMaxFileSize,
                        long cacheMaxSize, Gzip gzip, List<String> precompressed, WebDav webdav,
                        boolean followSymlinksOutside, HttpOptions http, Path accessLog,
                        Map<Integer, Path> errorPages, int backlog, TlsSettings tls, AcmeSettings acme) {

    public WebConfig {
        listeners = List.copyOf(listeners);
        for (ListenSpec l : listeners) {
            if (l.tls() && tls == null) {
                throw new IllegalArgumentException("listener " + l.address() + " is TLS but there is no 'tls' section");
            }
        }
        Objects.requireNonNull(root, "root");
        hosts = Map.copyOf(hosts);
        index = List.copyOf(index);
        mimeTypes = Map.copyOf(mimeTypes);
        expires = Map.copyOf(expires);
        precompressed = List.copyOf(precompressed);
        errorPages = Map.copyOf(errorPages);
        if (acme != null && tls == null) {
            throw new IllegalArgumentException("acme needs a 'tls' section");
        }
    }

    /** The listen addresses, plain and TLS, in config order. */
    public List<HostPort> listen() {
        return listeners.stream().map(ListenSpec::address).toList();
    }

    /**
     * This config with other listen addresses (the admin API's open and close listener calls). An
     * address listened on already keeps its TLS and HTTP/2 settings; a new one is TLS when the
     * service has a {@code tls} section, as a plain string entry in the config file would be.
     *
     * @param addresses the new addresses; may be empty (the service then accepts nothing)
     * @return a copy with only {@code listen} changed
     */
    public WebConfig withListen(List<HostPort> addresses) {
        List<ListenSpec> next = new ArrayList<>();
        for (HostPort hp : addresses) {
            next.add(listeners.stream().filter(l -> l.address().equals(hp)).findFirst()
                    .orElse(tls != null ? ListenSpec.tls(hp) : ListenSpec.plain(hp)));
        }
        return withListeners(next);
    }

    /** This config with other listeners. */
    public WebConfig withListeners(List<ListenSpec> specs) {
        return new WebConfig(specs, root, hosts, index, mimeTypes, expires, cacheMaxFileSize, cacheMaxSize, gzip,
                precompressed, webdav, followSymlinksOutside, http, accessLog, errorPages, backlog, tls, acme);
    }

    /**
     * On-the-fly gzip.
     *
     * @param enabled  off by default
     * @param types    extensions or MIME types (a leading '-' removes a default)
     * @param minSize  smallest file compressed
     * @param maxSize  largest file compressed
     * @param level    deflate level 1-9
     * @param cacheDir where compressed variants persist across restarts; null for a default under the temp dir
     */
    public record Gzip(boolean enabled, List<String> types, long minSize, long maxSize, int level, Path cacheDir) {
        public Gzip {
            types = List.copyOf(types);
        }

        public static final List<String> DEFAULT_TYPES =
                List.of("html", "htm", "css", "js", "mjs", "json", "txt", "xml", "svg", "md", "csv", "map", "wasm");

        public static Gzip off() {
            return new Gzip(false, DEFAULT_TYPES, 1024, 100L << 20, 6, null);
        }
    }

    /**
     * WebDAV writes.
     *
     * @param enabled off by default
     * @param writers client ranges allowed to write; empty means nobody
     * @param users   Basic auth user → password; empty means no auth beyond {@code writers}
     * @param realm   the Basic auth realm
     */
    public record WebDav(boolean enabled, List<Cidr> writers, Map<String, String> users, String realm) {
        public WebDav {
            writers = List.copyOf(writers);
            users = Map.copyOf(users);
        }

        public static WebDav off() {
            return new WebDav(false, List.of(), Map.of(), "portico");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that can set everything the config file can. */
    public static final class Builder {
        private final List<ListenSpec> listen = new ArrayList<>();
        private Path root = Path.of(".");
        private final Map<String, Path> hosts = new LinkedHashMap<>();
        private List<String> index = List.of("index.html", "index.htm");
        private final Map<String, String> mimeTypes = new LinkedHashMap<>();
        private final Map<String, Duration> expires = new LinkedHashMap<>();
        private long cacheMaxFileSize = 64 * 1024;
        private long cacheMaxSize = 64L << 20;
        private Gzip gzip = Gzip.off();
        private List<String> precompressed = List.of("br", "gzip");
        private WebDav webdav = WebDav.off();
        private boolean followSymlinksOutside;
        private HttpOptions http = HttpOptions.defaults();
        private Path accessLog;
        private final Map<Integer, Path> errorPages = new LinkedHashMap<>();
        private int backlog = 4096;
        private TlsSettings tls;
        private AcmeSettings acme;

        /** A plain listener. */
        public Builder listen(HostPort address) {
            listen.add(ListenSpec.plain(address));
            return this;
        }

        /** A listener, plain or TLS. */
        public Builder listen(ListenSpec spec) {
            listen.add(spec);
            return this;
        }

        /** A TLS listener with HTTP/2 offered through ALPN (needs {@link #tls(TlsSettings)}). */
        public Builder listenTls(String address) {
            return listen(ListenSpec.tls(HostPort.parse(address)));
        }

        /** Certificates and TLS options for the TLS listeners. */
        public Builder tls(TlsSettings settings) {
            this.tls = settings;
            return this;
        }

        /**
         * Certificates for the TLS listeners obtained through ACME; names without one yet get a
         * self-signed stand-in (needs {@link #tls(TlsSettings)}, which may be {@code selfSigned(true)}
         * with no certificates of its own).
         */
        public Builder acme(AcmeSettings settings) {
            this.acme = settings;
            return this;
        }

        public Builder listen(String address) {
            return listen(HostPort.parse(address));
        }

        public Builder root(Path root) {
            this.root = root;
            return this;
        }

        public Builder host(String name, Path root) {
            String key = name.toLowerCase(java.util.Locale.ROOT);
            hosts.put(key.endsWith(".") ? key.substring(0, key.length() - 1) : key, root);
            return this;
        }

        public Builder index(List<String> files) {
            this.index = files;
            return this;
        }

        public Builder mimeType(String extension, String type) {
            mimeTypes.put(extension, type);
            return this;
        }

        public Builder expires(String extension, Duration maxAge) {
            expires.put(extension, maxAge);
            return this;
        }

        public Builder cacheMaxFileSize(long bytes) {
            this.cacheMaxFileSize = bytes;
            return this;
        }

        public Builder cacheMaxSize(long bytes) {
            this.cacheMaxSize = bytes;
            return this;
        }

        public Builder gzip(Gzip gzip) {
            this.gzip = gzip;
            return this;
        }

        /** Turns gzip on with the default types and bounds. */
        public Builder gzip(boolean on) {
            Gzip g = this.gzip;
            this.gzip = new Gzip(on, g.types(), g.minSize(), g.maxSize(), g.level(), g.cacheDir());
            return this;
        }

        public Builder precompressed(List<String> encodings) {
            this.precompressed = encodings;
            return this;
        }

        public Builder webdav(WebDav webdav) {
            this.webdav = webdav;
            return this;
        }

        public Builder followSymlinksOutside(boolean on) {
            this.followSymlinksOutside = on;
            return this;
        }

        public Builder http(HttpOptions options) {
            this.http = options;
            return this;
        }

        /** HTTP/2 settings and limits (kept in {@link HttpOptions#http2()}); set after {@link #http}. */
        public Builder http2(dev.portico.web.h2.Http2Options options) {
            this.http = http.withHttp2(options);
            return this;
        }

        public Builder accessLog(Path file) {
            this.accessLog = file;
            return this;
        }

        public Builder errorPage(int status, Path file) {
            errorPages.put(status, file);
            return this;
        }

        public Builder backlog(int backlog) {
            this.backlog = backlog;
            return this;
        }

        public WebConfig build() {
            List<ListenSpec> l = listen.isEmpty() ? List.of(ListenSpec.plain(new HostPort("127.0.0.1", 8080))) : listen;
            return new WebConfig(l, root, hosts, index, mimeTypes, expires, cacheMaxFileSize, cacheMaxSize, gzip,
                    precompressed, webdav, followSymlinksOutside, http, accessLog, errorPages, backlog, tls, acme);
        }
    }
}
