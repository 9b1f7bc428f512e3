package dev.portico.proxy;

import dev.portico.acme.AcmeSettings;
import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.Section;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.lifecycle.ServiceType;
import dev.portico.core.net.Cidr;
import dev.portico.core.net.HostPort;
import dev.portico.core.tls.ClientTlsSection;
import dev.portico.core.tls.ClientTlsSettings;
import dev.portico.core.tls.TlsSettings;
import dev.portico.core.tls.TlsSettingsReader;
import dev.portico.core.transport.ListenSpec;
import dev.portico.proxy.cache.CacheConfig;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.web.h2.Http2Options;
import dev.portico.web.http.HttpOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code type: proxy} in the config file. Reads only its own section:
 *
 * <pre>
 * listen: [0.0.0.0:8080, {address: 0.0.0.0:8443, tls: on, http2: on}]  # strings are TLS when 'tls' is set
 * tls:                               # the web service's tls keys (see TlsSettingsReader), acme included, and:
 *   certificates: [{cert: site.pem, key: site.key}]
 *   client_ca: clients.pem           # with verify: required | optional
 *   client_cert_header: X-Client-Subject  # verified client subject to backends; removed from client requests
 *   redirect_http: 0.0.0.0:80
 *   hsts: 365d
 * pools:
 *   "*": {backends: [10.0.0.1:9001, 10.0.0.2:9001], scheduler: roundrobin, health: "http:/health"}
 *   api.example.com: {backends: [10.0.1.1:9001], scheduler: urlhash}
 *   secure.example.com:
 *     backends: [https://10.0.2.1:8443, {address: 10.0.2.2:8443, tls: {sni: b.internal}}]
 *     tls: {ca: backends-ca.pem, verify: true, sni: api.internal, client_cert: proxy.pem, client_key: proxy.key}
 * backends: [10.0.0.1:9001]          # shorthand for the "*" pool (with scheduler, health and backend_tls)
 * scheduler: roundrobin              # of the shorthand pool: roundrobin, iphash, urlhash or any upstream scheduler
 * trusted_proxies: [10.0.0.0/8]      # iphash takes the rightmost untrusted X-Forwarded-For address from these peers
 * timeouts: {connect: 5s, first_byte: 60s, idle: 60s, send: 60s}
 * limits: {request_headers: 16384, response_headers: 16384, body: 100m, connections: 0}  # 0: from the descriptor limit
 * keepalive: {max_idle: 1024, idle: 30s} # idle upstream connections per backend per event loop
 * retries: 2                         # further backends tried for one request
 * retry_on: [connect-failure, reset] # also: timeout (first_byte), 502, 503, 504
 * retry_buffer: 64k                  # request body kept to be sent again
 * retry_budget: 20                   # retries per pool in % of its requests over 10 s (at least 3/s)
 * backlog: 4096
 * http2: {h2c: false, max_concurrent_streams: 128, max_header_list_size: 16k}  # and the web service's other http2 keys
 * transparent: {ttl: 100s, port: 80, allow: [10.0.0.0/8]}   # Hosts without a pool: resolve and connect (off by default)
 * cache:                             # response cache; no key, no cache
 *   memory_size: 64m
 *   dir: ./cache                     # disk tier (relative to this file); omit for memory only
 *   disk_size: 1g
 *   max_object_size: 8m
 *   default_ttl: {"/static/*": 1h}   # for responses without freshness information; first match
 *   coalesce_timeout: 10s
 *   stale_if_error: 0s
 *   stale_while_revalidate: 0s
 *   heuristic: {fraction: 0.1, max: 1d}   # freshness from Last-Modified when nothing else gives one (off by default)
 * </pre>
 */
public final class ProxyServiceType implements ServiceType<ProxyConfig> {

    @Override
    public String name() {
        return "proxy";
    }

    /**
     * Reads a service's section.
     *
     * @return the config, or null when the section has problems (they are in its problem list)
     */
    @Override
    public ProxyConfig parse(String serviceName, Section s) {
        int before = s.problems().list().size();
        ProxyConfig.Builder b = ProxyConfig.builder();
        s.string("type", "proxy");
        readListenAndTls(s, b);
        String scheduler = s.string("scheduler", "roundrobin");
        String health = s.string("health", "none");
        if (s.has("backends")) {
            PoolSpec p = pool(s, scheduler, health, "backend_tls");
            if (p != null) {
                b.pool(ProxyConfig.DEFAULT_POOL, p);
            }
        }
        if (s.has("pools")) {
            Section pools = s.section("pools");
            for (String host : pools.keys()) {
                if (!(pools.node(host).orElseThrow() instanceof ConfigNode.MapNode)) {
                    pools.problem(host, "'" + pools.path() + "." + host + "' must be a map with 'backends'");
                    continue;
                }
                Section ps = pools.section(host);
                PoolSpec p = pool(ps, ps.string("scheduler", "roundrobin"), ps.string("health", "none"), "tls");
                ps.finish();
                if (p != null) {
                    b.pool(host, p);
                }
            }
        }
        if (s.has("transparent")) {
            readTransparent(s, b);
        }
        if (s.node("cache").isPresent()) {
            b.cache(readCache(s));
        }
        if (!s.has("pools") && !s.has("backends") && !s.has("transparent")) {
            s.problem("pools", "'" + s.path() + "' needs 'pools' (or 'backends') with at least one host");
        }
        for (String c : s.strings("trusted_proxies", List.of())) {
            try {
                b.trustedProxy(Cidr.parse(c));
            } catch (IllegalArgumentException e) {
                s.problem("trusted_proxies", "bad '" + s.path() + ".trusted_proxies': " + e.getMessage());
            }
        }
        Section t = s.section("timeouts");
        b.connectTimeout(t.duration("connect", Duration.ofSeconds(5)));
        b.firstByteTimeout(t.duration("first_byte", Duration.ofSeconds(60)));
        b.idleTimeout(t.duration("idle", Duration.ofSeconds(60)));
        Duration send = t.duration("send", HttpOptions.DEFAULT_SEND_TIMEOUT);
        if (send.isZero()) {
            t.problem("send", "'" + t.path() + ".send' must be more than 0s");
        } else {
            b.sendTimeout(send);
        }
        t.finish();
        b.http2(Http2Options.parse(s.section("http2")));
        Section l = s.section("limits");
        b.maxRequestHeaders(l.integer("request_headers", 16384, 256, 1 << 20));
        b.maxResponseHeaders(l.integer("response_headers", 16384, 256, 1 << 20));
        b.maxBodySize(l.size("body", 100L << 20));
        b.maxConnections(l.integer("connections", 0, 0, 10_000_000));
        l.finish();
        Section k = s.section("keepalive");
        b.keepAliveMax(k.integer("max_idle", ProxyConfig.DEFAULT_KEEPALIVE_MAX, 0, 100_000));
        b.keepAliveIdle(k.duration("idle", Duration.ofSeconds(30)));
        k.finish();
        b.retries(s.integer("retries", 2, 0, 100));
        if (s.has("retry_on")) {
            b.retryOn(s.list("retry_on", List.of(), RetryCondition::parse).toArray(RetryCondition[]::new));
        }
        long buffer = s.size("retry_buffer", ProxyConfig.DEFAULT_RETRY_BUFFER);
        if (buffer < 0) {
            s.problem("retry_buffer", "'" + s.path() + ".retry_buffer' must not be negative");
        } else {
            b.retryBuffer(buffer);
        }
        b.retryBudget(s.integer("retry_budget", ProxyConfig.DEFAULT_RETRY_BUDGET, 0, 100));
        b.backlog(s.integer("backlog", 4096, 1, 1 << 20));
        s.finish();
        if (s.problems().list().size() > before) {
            return null;
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            s.problems().add(s.location(), "service '" + serviceName + "': " + e.getMessage());
            return null;
        }
    }

    /**
     * {@code listen} (strings, or {@code {address, tls, http2}}) and the {@code tls} section: the
     * web service's keys plus {@code client_cert_header}. A string entry is TLS when {@code tls} is set.
     */
    private static void readListenAndTls(Section s, ProxyConfig.Builder b) {
        boolean hasTls = s.has("tls");
        TlsSettings tls = null;
        AcmeSettings acme = null;
        String certHeader = null;
        if (hasTls && looksLikeBackendTls(s.node("tls").orElseThrow())) {
            s.problem("tls", "'" + s.path() + ".tls' is the TLS of the proxy's own listeners (certificates, "
                    + "client_ca...); TLS to the backends of the 'backends' shorthand is 'backend_tls' (or a pool's 'tls')");
            return;
        }
        if (hasTls) {
            Section t = s.section("tls");
            certHeader = t.string("client_cert_header", null);
            if (certHeader != null && !ProxyConfig.isToken(certHeader.strip())) {
                t.problem("client_cert_header", "'" + t.path() + ".client_cert_header' must be a header name, not '"
                        + certHeader + "'");
                certHeader = null;
            } else if (certHeader != null && !t.has("client_ca")) {
                t.problem("client_cert_header", "'" + t.path() + ".client_cert_header' needs 'client_ca' "
                        + "(the CA whose client certificates the proxy verifies)");
                certHeader = null;
            } else if (certHeader != null) {
                certHeader = certHeader.strip();
            }
            if (t.has("acme")) {
                acme = AcmeSettings.read(t.section("acme"));
            }
            tls = TlsSettingsReader.read(t, acme != null);
        }
        List<ListenSpec> listen = ListenSpec.read(s, "listen", List.of(), hasTls);
        if (!s.has("listen")) {
            s.problem("listen", "'" + s.path() + "' needs 'listen' (for example listen: [0.0.0.0:8080])");
        }
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
        TlsSettings t = tls;
        if (t != null && t.redirectHttp() != null && listen.stream().anyMatch(l -> l.address().equals(t.redirectHttp()))) {
            s.problem("tls", "'" + s.path() + ".tls.redirect_http' " + t.redirectHttp() + " is also in 'listen'");
        }
        b.tls(tls);
        b.clientCertHeader(tls == null ? null : certHeader);
        b.acme(tls == null ? null : acme);
    }

    /** True for {@code tls: on} or a mapping with only the keys of TLS to backends (ca, sni, client_cert...). */
    private static boolean looksLikeBackendTls(ConfigNode node) {
        if (node instanceof ConfigNode.ScalarNode sc) {
            return sc.text() != null;
        }
        if (node instanceof ConfigNode.MapNode m && !m.entries().isEmpty()) {
            List<String> upstream = List.of("ca", "sni", "client_cert", "client_key", "verify");
            boolean booleanVerify = !(m.entries().get("verify") instanceof ConfigNode.ScalarNode v)
                    || v.text() == null || List.of("true", "false", "on", "off", "yes", "no")
                    .contains(v.text().strip().toLowerCase(Locale.ROOT));
            return booleanVerify && upstream.containsAll(m.entries().keySet());
        }
        return false;
    }

    private static void readTransparent(Section s, ProxyConfig.Builder b) {
        Section t = s.section("transparent");
        Duration ttl = t.duration("ttl", Duration.ofSeconds(100));
        int port = t.integer("port", 80, 1, 65535);
        List<Cidr> allow = new ArrayList<>();
        for (String c : t.strings("allow", List.of())) {
            try {
                allow.add(Cidr.parse(c));
            } catch (IllegalArgumentException e) {
                t.problem("allow", "bad '" + t.path() + ".allow': " + e.getMessage());
            }
        }
        if (!t.has("allow")) {
            t.problem("allow", "'" + t.path() + "' needs 'allow' (CIDRs of the destinations it may reach); "
                    + "without it the proxy would be open to every address");
        }
        t.finish();
        if (!allow.isEmpty()) {
            b.transparent(new TransparentSpec(ttl, port, allow));
        }
    }

    private static CacheConfig readCache(Section s) {
        return cacheSection(s.section("cache"));
    }

    /** A {@code cache:} section itself (also read by {@link ProxyCache#readConfig}). */
    static CacheConfig cacheSection(Section c) {
        CacheConfig.Builder b = CacheConfig.builder();
        b.memorySize(c.size("memory_size", CacheConfig.DEFAULT_MEMORY));
        String dir = c.string("dir", null);
        if (dir != null) {
            b.dir(relative(c, dir));
        }
        long disk = c.size("disk_size", CacheConfig.DEFAULT_DISK);
        if (disk <= 0) {
            c.problem("disk_size", "'" + c.path() + ".disk_size' must be above 0");
        } else {
            b.diskSize(disk);
        }
        long max = c.size("max_object_size", CacheConfig.DEFAULT_MAX_OBJECT);
        if (max <= 0) {
            c.problem("max_object_size", "'" + c.path() + ".max_object_size' must be above 0");
        } else {
            b.maxObjectSize(max);
        }
        Section ttl = c.section("default_ttl");
        for (String glob : ttl.keys()) {
            Duration d = ttl.duration(glob, null);
            if (d != null) {
                b.defaultTtl(glob, d);
            }
        }
        b.coalesceTimeout(c.duration("coalesce_timeout", CacheConfig.DEFAULT_COALESCE));
        b.staleIfError(c.duration("stale_if_error", Duration.ZERO));
        b.staleWhileRevalidate(c.duration("stale_while_revalidate", Duration.ZERO));
        if (c.has("heuristic")) {
            b.heuristic(readHeuristic(c.section("heuristic")));
        }
        c.finish();
        return b.build();
    }

    /** {@code heuristic: {fraction: 0.1, max: 1d}}; null (with a problem) when a value is wrong. */
    private static CacheConfig.Heuristic readHeuristic(Section h) {
        String text = h.string("fraction", null);
        double fraction = CacheConfig.Heuristic.DEFAULT_FRACTION;
        boolean ok = true;
        if (text != null) {
            try {
                fraction = Double.parseDouble(text.strip());
            } catch (NumberFormatException e) {
                fraction = Double.NaN;
            }
            if (!(fraction > 0 && fraction <= 1)) {
                h.problem("fraction", "'" + h.path() + ".fraction' must be a number above 0 and at most 1, not '"
                        + text + "'");
                ok = false;
            }
        }
        Duration max = h.duration("max", CacheConfig.Heuristic.DEFAULT_MAX);
        if (max == null || max.isZero() || max.isNegative()) {
            h.problem("max", "'" + h.path() + ".max' must be above 0");
            ok = false;
        }
        h.finish();
        return ok ? new CacheConfig.Heuristic(fraction, max) : null;
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
        return p.toAbsolutePath().normalize();
    }

    /**
     * A pool's {@code backends}, {@code tls} and the rest. A backend is {@code host:port},
     * {@code https://host:port} (TLS with the pool's settings, or the defaults), {@code http://host:port}
     * (plain; not in a pool with {@code tls}), or {@code {address: ..., tls: {...}}}, whose settings
     * override the pool's one by one.
     */
    private static PoolSpec pool(Section s, String scheduler, String health, String tlsKey) {
        String key = "backends";
        int before = s.problems().list().size();
        ClientTlsSettings poolTls = ClientTlsSection.read(s, tlsKey, ClientTlsSettings.DEFAULTS);
        List<HostPort> backends = new ArrayList<>();
        Map<HostPort, ClientTlsSettings> own = new LinkedHashMap<>();
        ConfigNode node = s.node(key).orElse(null);
        List<ConfigNode> items = node instanceof ConfigNode.ListNode l ? l.items()
                : node == null ? List.of() : List.of(node);
        for (int i = 0; i < items.size(); i++) {
            ConfigNode item = items.get(i);
            if (item instanceof ConfigNode.MapNode) {
                Section b = Section.of(item, s.path() + "." + key + "[" + i + "]", s.problems());
                String address = b.requiredString("address");
                HostPort hp = address == null ? null : backend(b, "address", address, poolTls, own);
                ClientTlsSettings t = ClientTlsSection.read(b, "tls", poolTls != null ? poolTls : ClientTlsSettings.DEFAULTS);
                b.finish();
                if (hp != null) {
                    backends.add(hp);
                    if (t != null) {
                        own.put(hp, t);
                    }
                }
            } else if (item instanceof ConfigNode.ScalarNode v && v.text() != null) {
                Section holder = Section.of(new ConfigNode.MapNode(item.location(), Map.of(key, item), Map.of()),
                        s.path(), s.problems());
                for (String part : v.text().split(",")) {
                    if (!part.isBlank()) {
                        HostPort hp = backend(holder, key, part.strip(), poolTls, own);
                        if (hp != null) {
                            backends.add(hp);
                        }
                    }
                }
            } else {
                s.problems().add(item.location(), "'" + s.path() + "." + key + "' items must be host:port or "
                        + "{address, tls}, not " + item.kind());
            }
        }
        if (s.problems().list().size() > before) {
            return null;
        }
        if (backends.isEmpty()) {
            s.problem(key, "'" + s.path() + "." + key + "' needs at least one host:port");
            return null;
        }
        HealthCheckConfig hc;
        try {
            hc = HealthCheckConfig.parse(health);
        } catch (IllegalArgumentException e) {
            s.problem("health", "bad '" + s.path() + ".health': " + e.getMessage());
            return null;
        }
        try {
            return new PoolSpec(backends, scheduler, hc, poolTls, own);
        } catch (IllegalArgumentException e) {
            s.problem("scheduler", "bad '" + s.path() + ".scheduler': " + e.getMessage());
            return null;
        }
    }

    /**
     * One backend address, with an optional scheme: {@code https://} makes it TLS (recorded in
     * {@code own} when the pool itself is plain), {@code http://} keeps it plain.
     *
     * @return the address, or null after reporting a problem
     */
    private static HostPort backend(Section s, String key, String text, ClientTlsSettings poolTls,
                                    Map<HostPort, ClientTlsSettings> own) {
        String lower = text.toLowerCase(Locale.ROOT);
        boolean https = lower.startsWith("https://");
        boolean http = lower.startsWith("http://");
        String address = https ? text.substring(8) : http ? text.substring(7) : text;
        if (address.endsWith("/")) {
            address = address.substring(0, address.length() - 1);
        }
        if (lower.contains("://") && !https && !http) {
            s.problem(key, "bad '" + s.path() + "." + key + "': '" + text + "' has a scheme other than http:// or https://");
            return null;
        }
        if (http && poolTls != null) {
            s.problem(key, "bad '" + s.path() + "." + key + "': '" + text + "' is plain http:// in a pool with 'tls'");
            return null;
        }
        HostPort hp;
        try {
            boolean portless = address.startsWith("[") ? address.endsWith("]") : address.indexOf(':') < 0;
            hp = (https || http) && portless ? HostPort.parse(address + ":" + (https ? 443 : 80)) : HostPort.parse(address);
        } catch (IllegalArgumentException e) {
            s.problem(key, "bad '" + s.path() + "." + key + "': " + e.getMessage());
            return null;
        }
        if (hp.port() == 0) {
            s.problem(key, "bad '" + s.path() + "." + key + "': '" + text + "' needs a port from 1 to 65535");
            return null;
        }
        if (https && poolTls == null) {
            own.put(hp, ClientTlsSettings.DEFAULTS);
        }
        return hp;
    }

    /** Writes a config back as its section; settings at their default are left out. */
    @Override
    public Optional<Map<String, Object>> toYaml(ProxyConfig config) {
        return ProxyConfigYaml.write(config);
    }

    @Override
    public Service create(String serviceName, ProxyConfig config, ServiceContext context) {
        return new ProxyService(serviceName, config, context);
    }
}
