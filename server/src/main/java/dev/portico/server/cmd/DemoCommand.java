package dev.portico.server.cmd;

import dev.portico.admin.api.AdminApi;
import dev.portico.core.config.ConfigException;
import dev.portico.core.net.HostPort;
import dev.portico.filestore.FilestoreConfig;
import dev.portico.filestore.Placement;
import dev.portico.filestore.StorePool;
import dev.portico.lb.LbService;
import dev.portico.server.Cli;
import dev.portico.server.Daemon;
import dev.portico.server.Supervisor;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServiceSpec;
import dev.portico.web.WebServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.ServerSocket;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.concurrent.Callable;

/**
 * {@code portico demo}: copies the sample site bundled in the jar to a directory and serves it
 * with gzip on, over plain HTTP and, on one more port, over HTTPS with a self-signed certificate
 * (its development CA kept under the state directory); next to it, two small backend web servers
 * on loopback (each page says which one answered) behind an lb service; a file store over three
 * WebDAV nodes (web services with WebDAV on, in the demo's temporary directory). Prints the URLs to
 * open, a {@code curl --cacert} line, a {@code curl -T} upload with the two node directories the
 * file lands in, and the admin API (plain HTTP on loopback).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Serve a bundled sample site and print the URLs to open.",
                "The site is copied out of the jar to --dir (default: a new temporary directory)."})
public final class DemoCommand implements Callable<Integer> {

    /** Where the demo listens unless told otherwise: loopback only. */
    static final String DEFAULT_LISTEN = "127.0.0.1:8080";

    /** The resource folder of the sample site, and the index that lists its files. */
    static final String SITE = "/dev/portico/server/demo-site/";
    static final String INDEX = SITE + "files.txt";

    private final Cli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = DEFAULT_LISTEN,
            description = "Address to listen on (HOST:PORT, :PORT or PORT; default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--https-listen", paramLabel = "HOST:PORT",
            description = "Where the site is served over HTTPS too, with a self-signed certificate (default: "
                    + DEFAULT_HTTPS_LISTEN + ").")
    String httpsListen;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where to put the sample site (kept after exit).")
    Path dir;

    @Option(names = "--lb-listen", paramLabel = "HOST:PORT",
            description = "Where the balanced demo service listens (default: " + DEFAULT_LB_LISTEN + ").")
    String lbListen;

    @Option(names = "--proxy-listen", paramLabel = "HOST:PORT",
            description = "Where the HTTP reverse proxy over the demo backends listens (default: 127.0.0.1:8001).")
    String proxyListen;

    @Option(names = "--dns-listen", paramLabel = "HOST:PORT",
            description = "Where the demo DNS server listens, UDP and TCP (default: 127.0.0.1:5353).")
    String dnsListen;

    @Option(names = "--fs-listen", paramLabel = "HOST:PORT",
            description = "Where the demo file store's router listens (default: " + DEFAULT_FS_LISTEN + ").")
    String fsListen;

    /** Where the file store's router listens unless told otherwise. */
    static final String DEFAULT_FS_LISTEN = "127.0.0.1:8002";

    /** How many WebDAV nodes the demo file store has, and how many copies of each file it keeps. */
    static final int STORE_NODES = 3;
    static final int STORE_COPIES = 2;

    /** The file the banner's upload names. */
    static final String STORE_SAMPLE = "/_3fs_0/hello.txt";

    /** The store's nodes ({@code host:port}) and their document roots, in the order they were made. */
    private final Map<String, Path> storeNodes = new LinkedHashMap<>();

    /** Where the site's HTTPS listener is unless told otherwise. */
    static final String DEFAULT_HTTPS_LISTEN = "127.0.0.1:8443";

    /** Where the balanced service listens unless told otherwise. */
    static final String DEFAULT_LB_LISTEN = "127.0.0.1:8000";

    /** Where the proxy listens unless told otherwise. */
    static final String DEFAULT_PROXY_LISTEN = "127.0.0.1:8001";

    /** Where the DNS server listens unless told otherwise. */
    static final String DEFAULT_DNS_LISTEN = "127.0.0.1:5353";

    /** How many backends the balanced service has. */
    static final int BACKENDS = 2;

    public DemoCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        // Everything the demo makes for itself goes under one temporary directory, removed on exit
        // (after Ctrl-C or SIGTERM too: the daemon's stop returns here); only --dir is kept.
        Path temp = Files.createTempDirectory("portico-demo-");
        Thread cleanup = new Thread(() -> deleteTree(temp), "portico-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            return run(temp);
        } finally {
            deleteTree(temp);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway and finds nothing left
            }
        }
    }

    private Integer run(Path temp) throws Exception {
        Path root = extract(dir != null ? dir : temp.resolve("site"));
        cli.out().println("Demo site: " + root + (dir != null ? "" : " (removed on exit)"));
        if (cli.types().find("web").isEmpty() || cli.types().find("lb").isEmpty()) {
            cli.err().println("portico: the demo needs the 'web' and 'lb' service types (known types: "
                    + String.join(", ", cli.types().names()) + ")");
            return Cli.FAILED;
        }
        List<ServiceSpec> services = new ArrayList<>();
        List<String> backends = new ArrayList<>();
        try {
            QuickStart.FlagSection plain = QuickStart.FlagSection.nested().put("address", listen, "--listen")
                    .put("tls", "off", "--listen");
            QuickStart.FlagSection secure = QuickStart.FlagSection.nested()
                    .put("address", httpsListen != null ? httpsListen : DEFAULT_HTTPS_LISTEN, "--https-listen")
                    .put("tls", "on", "--https-listen");
            services.add(QuickStart.spec(cli, "site", QuickStart.FlagSection.service("web")
                    .put("root", root.toString(), "--dir")
                    .putSections("listen", List.of(plain, secure), "--listen")
                    .put("tls", QuickStart.FlagSection.nested().put("self_signed", "true", "--https-listen"), "--https-listen")
                    .put("gzip", QuickStart.FlagSection.nested().put("enabled", "true", "--gzip")
                            .put("cache_dir", temp.resolve("gzip-cache").toString(), "portico demo"), "--gzip"),
                    "portico demo"));
            for (int i = 1; i <= BACKENDS; i++) {
                // Each backend on its own loopback address, so the DNS record below has one address per backend.
                String host = "127.0.0." + (10 + i);
                String address = host + ":" + freePort(host);
                backends.add(address);
                // The backends' style sheet says Cache-Control: max-age=60, so the caching proxy keeps it.
                services.add(QuickStart.spec(cli, "backend-" + i, QuickStart.FlagSection.service("web")
                        .put("root", backendSite(root, i).toString(), "portico demo")
                        .put("listen", address, "portico demo")
                        .put("expires", QuickStart.FlagSection.nested().put("css", "1m", "portico demo"), "portico demo"),
                        "portico demo"));
            }
            services.add(QuickStart.spec(cli, "balanced", QuickStart.FlagSection.service("lb")
                    .put("listen", List.of(lbListen != null ? lbListen : DEFAULT_LB_LISTEN), "--lb-listen")
                    .put("backends", backends, "portico demo"), "portico demo"));
            if (cli.types().find("proxy").isPresent()) {
                services.add(QuickStart.spec(cli, "proxied", QuickStart.FlagSection.service("proxy")
                        .put("listen", List.of(proxyListen != null ? proxyListen : DEFAULT_PROXY_LISTEN), "--proxy-listen")
                        .put("backends", backends, "portico demo")
                        .put("health", "tcp", "portico demo")
                        .put("cache", QuickStart.FlagSection.nested().put("memory_size", "64m", "portico demo"),
                                "portico demo"), "portico demo"));
            }
            if (cli.types().find("dns").isPresent()) {
                Path zone = demoZone(root);
                // Checked every second, down after 2 failures, up after 2 passes: quick enough to watch.
                QuickStart.FlagSection www = QuickStart.FlagSection.nested()
                        .put("ttl", "30/5", "portico demo")
                        .put("addresses", backends, "portico demo")
                        .put("health", QuickStart.FlagSection.nested()
                                .put("type", "tcp", "portico demo")
                                .put("interval", "1s", "portico demo")
                                .put("down_interval", "1s", "portico demo")
                                .put("fall", "2", "portico demo")
                                .put("rise", "2", "portico demo"), "portico demo");
                QuickStart.FlagSection backup = QuickStart.FlagSection.nested()
                        .put("ttl", "30/5", "portico demo")
                        .put("addresses", List.of("127.0.0.1"), "portico demo")
                        .put("health", "none", "portico demo");
                services.add(QuickStart.spec(cli, "names", QuickStart.FlagSection.service("dns")
                        .put("listen", List.of(dnsListen != null ? dnsListen : DEFAULT_DNS_LISTEN), "--dns-listen")
                        .put("zones", QuickStart.FlagSection.nested().put("demo.test", zone.toString(), "portico demo"),
                                "portico demo")
                        .put("dynamic", QuickStart.FlagSection.nested()
                                .put("www.demo.test", www, "portico demo")
                                .put("_www.demo.test", backup, "portico demo"), "portico demo"), "portico demo"));
            }
            if (cli.types().find("filestore").isPresent()) {
                services.addAll(store(temp));
            }
        } catch (ConfigException e) {
            CheckCommand.printProblems(cli, e);
            return Cli.USAGE;
        }
        ServerConfig config = runtime.toConfig(spec, "portico demo", services);
        return QuickStart.run(cli, runtime, config, d -> {
            markBackendPages(d, root);
            printUrls(d);
        });
    }

    /**
     * The file store: three web services with WebDAV on (writes from loopback only), each with its
     * own root under {@code temp}, and the router over them keeping two copies of each file. Its
     * layout state goes under {@code temp} too, since the nodes' ports differ from run to run.
     */
    private List<ServiceSpec> store(Path temp) throws IOException, ConfigException {
        List<ServiceSpec> out = new ArrayList<>();
        for (int i = 1; i <= STORE_NODES; i++) {
            String address = "127.0.0.1:" + freePort("127.0.0.1");
            Path nodeRoot = Files.createDirectories(temp.resolve("store-node-" + i));
            storeNodes.put(address, nodeRoot);
            out.add(QuickStart.spec(cli, "store-node-" + i, QuickStart.FlagSection.service("web")
                    .put("root", nodeRoot.toString(), "portico demo")
                    .put("listen", address, "portico demo")
                    .put("webdav", QuickStart.FlagSection.nested().put("enabled", "true", "portico demo")
                            .put("writers", List.of("127.0.0.0/8"), "portico demo"), "portico demo"), "portico demo"));
        }
        out.add(QuickStart.spec(cli, "store", QuickStart.FlagSection.service("filestore")
                .put("listen", List.of(fsListen != null ? fsListen : DEFAULT_FS_LISTEN), "--fs-listen")
                .put("nodes", List.copyOf(storeNodes.keySet()), "portico demo")
                .put("redundancy", Integer.toString(STORE_COPIES), "portico demo")
                .put("write_permit", List.of("127.0.0.0/8"), "portico demo")
                .put("state_dir", temp.resolve("store-state").toString(), "portico demo"), "portico demo"));
        return out;
    }

    /** The node directories a file of the demo store lands in, by placement (the first copy first). */
    List<Path> storeCopies(String url) {
        List<String> sorted = StorePool.sorted(List.copyOf(storeNodes.keySet()));
        String filePath = url.substring(url.indexOf('/', 1));
        List<Path> out = new ArrayList<>();
        for (int i : Placement.locate(filePath, FilestoreConfig.DEFAULT_REGION, sorted.size(), STORE_COPIES)) {
            out.add(storeNodes.get(sorted.get(i)).resolve(url.substring(1)));
        }
        return out;
    }

    private void printStore(List<String> endpoints) {
        if (endpoints.isEmpty() || storeNodes.isEmpty()) {
            return;
        }
        String base = endpoints.getFirst();
        base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        cli.out().println("Store: " + base + "/ (a file store over " + STORE_NODES + " WebDAV nodes, " + STORE_COPIES
                + " copies of each file; writes from loopback only)");
        cli.out().println("  echo hello > hello.txt && curl -T hello.txt " + base + STORE_SAMPLE
                + "   # 201, X-Copies: 2/2");
        List<Path> copies = storeCopies(STORE_SAMPLE);
        cli.out().println("  it lands on two of the nodes, where placement puts it:");
        for (Path p : copies) {
            cli.out().println("    " + p);
        }
        cli.out().println("  curl " + base + STORE_SAMPLE + "   # read back from either copy");
    }

    /** Deletes a directory tree; what cannot be deleted is left (the system cleans its temp directory). */
    static void deleteTree(Path top) {
        if (!Files.exists(top)) {
            return;
        }
        try (var walk = Files.walk(top)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // left for the system's temp cleaner
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            // as above
        }
    }

    /**
     * Rewrites each backend's page with the ports the front services got, so that it says which
     * service it came through.
     */
    private void markBackendPages(Daemon daemon, Path root) {
        Map<Integer, String> fronts = new LinkedHashMap<>();
        for (Supervisor.Running r : daemon.supervisor().running()) {
            if (r.service() instanceof LbService lb) {
                lb.listenAddresses().forEach(a -> fronts.put(a.getPort(),
                        "the <code>" + r.spec().name() + "</code> lb service (TCP, round robin)"));
            } else if (r.spec().type().name().equals("proxy")) {
                for (String url : r.service().endpoints()) {
                    fronts.put(URI.create(url).getPort(), "the <code>" + r.spec().name()
                            + "</code> HTTP reverse proxy (with a cache)");
                }
            }
        }
        for (int i = 1; i <= BACKENDS; i++) {
            try {
                writeBackendPage(backendDir(root, i), i, fronts);
            } catch (IOException e) {
                cli.err().println("portico: cannot write the page of backend " + i + ": " + e.getMessage());
            }
        }
    }

    private void printUrls(Daemon daemon) {
        List<String> site = List.of();
        List<String> balanced = List.of();
        List<String> proxied = List.of();
        List<String> names = List.of();
        List<String> store = List.of();
        for (Supervisor.Running r : daemon.supervisor().running()) {
            if (r.spec().name().equals("site")) {
                site = r.service().endpoints();
            } else if (r.spec().name().equals("proxied")) {
                proxied = r.service().endpoints();
            } else if (r.spec().name().equals("names")) {
                names = r.service().endpoints();
            } else if (r.spec().name().equals("store")) {
                store = r.service().endpoints();
            } else if (r.service() instanceof LbService lb) {
                balanced = lb.listenAddresses().stream()
                        .map(a -> "http://" + HostPort.of(a) + "/").toList();
            }
        }
        cli.out().println();
        List<String> https = site.stream().filter(u -> u.startsWith("https://")).toList();
        cli.out().println("Open " + String.join(" or ", site.stream().filter(u -> u.startsWith("http://")).toList())
                + " in a browser.");
        if (!https.isEmpty()) {
            cli.out().println("HTTPS: " + String.join(" or ", https) + " (the same site, with a self-signed certificate)");
            QuickStart.printTlsHints(cli, daemon);
        }
        cli.out().println("Balanced: " + String.join(" or ", balanced) + " (" + BACKENDS
                + " backends, round robin: reload to see which one answers)");
        if (!proxied.isEmpty()) {
            cli.out().println("Proxied: " + String.join(" or ", proxied) + " (HTTP reverse proxy with a 64 MiB memory cache "
                    + "over the same backends; the page is fetched each time, its style sheet is cached for a minute).");
            cli.out().println("  curl -sI " + proxied.getFirst() + "style.css | grep X-Cache   # run twice: MISS, then HIT");
        }
        if (!names.isEmpty()) {
            String endpoint = names.getFirst();
            HostPort at = HostPort.parse(endpoint.substring(endpoint.lastIndexOf(' ') + 1));
            cli.out().println("DNS: " + String.join(" or ", names) + "; try  dig @" + at.host() + " -p " + at.port()
                    + " www.demo.test  (one address per healthy backend; when both are down, _www.demo.test answers)");
        }
        printStore(store);
        if (daemon.admin() != null) {
            String api = daemon.admin().baseUrl() + AdminApi.PREFIX + "services";
            String tokenFile = daemon.adminTokens().stream().filter(t -> t.file() != null)
                    .map(t -> t.file().toString()).findFirst().orElse("TOKEN_FILE");
            String curl = "curl -H \"Authorization: Bearer $(cat " + tokenFile + ")\" ";
            cli.out().println("Admin API: " + api);
            cli.out().println("  " + curl + api);
            if (!names.isEmpty()) {
                printFailover(daemon, names.getFirst(), curl, api);
            }
            cli.out().println("Metrics: " + daemon.admin().baseUrl() + "/metrics");
        }
        cli.out().println("Stop with Ctrl-C.");
        cli.out().flush();
    }

    /**
     * How to watch www.demo.test fail over: the dig loop to run, and the API calls that stop and
     * restart backend 1 (closing its only listener fails its health checks).
     */
    private void printFailover(Daemon daemon, String dnsEndpoint, String curl, String api) {
        String backend = null;
        for (Supervisor.Running r : daemon.supervisor().running()) {
            if (r.spec().name().equals("backend-1") && r.service() instanceof WebServer web
                    && !web.listenAddresses().isEmpty()) {
                var bound = web.listenAddresses().values().iterator().next();
                backend = HostPort.of(bound).toString();
            }
        }
        if (backend == null) {
            return;
        }
        HostPort at = HostPort.parse(dnsEndpoint.substring(dnsEndpoint.lastIndexOf(' ') + 1));
        String listeners = api + "/backend-1/listeners";
        cli.out().println("Watch www.demo.test fail over (checked every second, down after 2 failed checks):");
        cli.out().println("  watch -n1 dig +short @" + at.host() + " -p " + at.port() + " www.demo.test");
        cli.out().println("  stop backend 1:   " + curl + "-X DELETE " + listeners + "/" + backend);
        cli.out().println("  start it again:   " + curl + "-X POST " + listeners + " -d '{\"address\":\"" + backend + "\"}'");
        cli.out().println("  (or in the dashboard: x on backend-1's listener, or force an address down in the names records)");
    }

    /** A one-page site for backend {@code n}, beside the demo directory. */
    static Path backendSite(Path root, int n) throws IOException {
        Path site = backendDir(root, n);
        Files.createDirectories(site);
        writeBackendPage(site, n, Map.of());
        Files.writeString(site.resolve("style.css"), "/* backend " + n + ": Cache-Control: max-age=60 (expires: {css: 1m}) */\n"
                + "h1 { color: #2b5fb4; }\n", StandardCharsets.UTF_8);
        return site;
    }

    private static Path backendDir(Path root, int n) {
        return root.resolveSibling(root.getFileName() + "-backend-" + n);
    }

    /**
     * Backend {@code n}'s page. It names the front service it came through: {@code fronts} maps
     * each front's port to its description, and the page picks the one of the port it was asked
     * on (the backend sees the same request either way: the lb passes the bytes through).
     */
    static void writeBackendPage(Path site, int n, Map<Integer, String> fronts) throws IOException {
        StringBuilder list = new StringBuilder();
        StringBuilder map = new StringBuilder();
        for (Map.Entry<Integer, String> f : fronts.entrySet()) {
            list.append(list.isEmpty() ? "" : " or ").append(f.getValue()).append(" (port ").append(f.getKey()).append(')');
            map.append(map.isEmpty() ? "" : ", ").append('"').append(f.getKey()).append("\": \"")
                    .append(f.getValue().replace("\"", "\\\"")).append('"');
        }
        String via = fronts.isEmpty() ? "one of the demo's front services"
                : list + "; the port in the address bar tells which";
        Files.writeString(site.resolve("index.html"), """
                <!doctype html>
                <html><head><meta charset="utf-8"><title>Backend %d</title><link rel="stylesheet" href="style.css"></head>
                <body style="font-family: sans-serif; margin: 3em">
                <h1>Backend %d answered</h1>
                <p id="via">This page came through %s.</p>
                <p>Reload: the next request may go to the other backend. Disable one through the admin API and
                every reload lands on the other.</p>
                <script>
                const via = {%s}[location.port];
                if (via) document.getElementById("via").innerHTML = "This page came through " + via + ", port " + location.port + ".";
                else if (location.port) document.getElementById("via").textContent = "This page came straight from backend %d.";
                </script>
                </body></html>
                """.formatted(n, n, via, map, n), StandardCharsets.UTF_8);
    }

    /** A port free on a loopback address right now, for a demo backend. */
    private static int freePort(String host) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return s.getLocalPort();
        }
    }

    /** The demo's zone file, {@code demo.test}, next to the site. */
    static Path demoZone(Path root) throws IOException {
        Path zone = root.resolveSibling(root.getFileName() + "-demo.test.zone");
        Files.writeString(zone, """
                $ORIGIN demo.test.
                $TTL 300
                @     IN SOA ns hostmaster 1 3600 600 86400 60
                @     IN NS  ns
                ns    IN A   127.0.0.1
                site  IN A   127.0.0.1
                docs  IN CNAME site
                @     IN TXT "Portico demo zone; www.demo.test is a health-checked failover record"
                """, StandardCharsets.UTF_8);
        return zone;
    }

    /** Copies the bundled site into {@code target} (files already there are replaced); returns it. */
    public static Path extract(Path target) throws IOException {
        Path root = target.toAbsolutePath().normalize();
        Files.createDirectories(root);
        for (String name : files()) {
            Path out = root.resolve(name).normalize();
            if (!out.startsWith(root)) {
                throw new IOException("bad demo file name '" + name + "'");
            }
            try (InputStream in = DemoCommand.class.getResourceAsStream(SITE + name)) {
                if (in == null) {
                    throw new IOException("demo file '" + name + "' is missing from the jar");
                }
                Files.createDirectories(out.getParent());
                Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return root;
    }

    /** The files of the sample site, relative to its root. */
    static List<String> files() throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(INDEX)) {
            if (in == null) {
                throw new IOException("the demo site index " + INDEX + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .toList();
        }
    }
}
