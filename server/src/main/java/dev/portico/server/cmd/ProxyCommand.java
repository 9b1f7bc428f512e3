package dev.portico.server.cmd;

import dev.portico.server.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code portico proxy --listen HOST:PORT --backend HOST:PORT ...}: an HTTP reverse proxy with no
 * config file. The flags become a {@code type: proxy} section ({@code listen}, {@code backends},
 * {@code scheduler}, {@code health}: the {@code *} pool) read by the proxy service type, exactly as
 * if it came from a file. {@code --cache-size} and {@code --cache-dir} add a {@code cache:} section
 * (memory tier, and a disk tier in the directory, bounded by {@code --cache-disk-size}).
 * {@code --tls self-signed} or {@code --tls-cert FILE --tls-key FILE} add a {@code tls:} section,
 * as for {@code portico web}: the listener is then HTTPS (and offers h2).
 */
@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = {"Reverse-proxy HTTP to backends, no config file needed.",
                "Example: portico proxy --listen 127.0.0.1:8080 --backend 127.0.0.1:9001 --backend 127.0.0.1:9002",
                "With a cache: portico proxy --backend 127.0.0.1:9001 --cache-size 256m --cache-dir /var/cache/portico",
                "Caching backends that send no freshness: portico proxy --backend 127.0.0.1:9001 --default-ttl 10s",
                "HTTPS: portico proxy --listen 127.0.0.1:8443 --backend 127.0.0.1:9001 --tls self-signed"})
public final class ProxyCommand implements Callable<Integer> {

    /** Where {@code portico proxy} listens unless told otherwise. */
    static final String DEFAULT_LISTEN = "0.0.0.0:8080";
    /** Where it listens with {@code --tls} unless told otherwise. */
    static final String DEFAULT_TLS_LISTEN = "0.0.0.0:8443";

    private final Cli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Address to listen on (HOST:PORT, :PORT or PORT; default: " + DEFAULT_LISTEN + ")."
                    + " With TLS the default is " + DEFAULT_TLS_LISTEN + ".")
    String listen;

    @Option(names = "--backend", required = true, paramLabel = "HOST:PORT",
            description = "A backend HTTP server (repeat the flag for more).")
    List<String> backends;

    @Option(names = "--scheduler", paramLabel = "NAME",
            description = "roundrobin (default), iphash, urlhash, or any lb scheduler (leastconns, maglev...).")
    String scheduler;

    @Option(names = "--health", paramLabel = "CHECK", description = "none (default: a refused connect marks a backend down), tcp, http, http:/path or icmp.")
    String health;

    @Option(names = "--cache-size", paramLabel = "SIZE",
            description = "Cache responses in memory, up to SIZE bytes (64m, 1g...); no cache without this or --cache-dir.")
    String cacheSize;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Keep cached responses on disk in DIR too (they survive restarts).")
    String cacheDir;

    @Option(names = "--cache-disk-size", paramLabel = "SIZE",
            description = "Bound of the disk tier (default 1g); needs --cache-dir.")
    String cacheDiskSize;

    @Option(names = "--default-ttl", paramLabel = "DURATION",
            description = "Cache responses that carry no freshness (no max-age, no Expires) for DURATION (10s, 5m...), "
                    + "as 3zsd's xcache did. Never responses with Set-Cookie, private or no-store, nor answers to "
                    + "requests with Authorization. Turns the cache on (memory only unless --cache-dir).")
    String defaultTtl;

    @Option(names = "--tls", paramLabel = "self-signed",
            description = "Serve HTTPS with a development CA and certificate kept under the state directory.")
    String tls;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "Serve HTTPS with this PEM certificate chain (with --tls-key).")
    java.nio.file.Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The PEM private key of --tls-cert.")
    java.nio.file.Path tlsKey;

    public ProxyCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        if (cacheDiskSize != null && cacheDir == null) {
            cli.err().println("portico: --cache-disk-size needs --cache-dir");
            return Cli.USAGE;
        }
        QuickStart.FlagSection tlsSection = QuickStart.tls(spec, tls, tlsCert, tlsKey);
        String address = listen != null ? listen : tlsSection != null ? DEFAULT_TLS_LISTEN : DEFAULT_LISTEN;
        return QuickStart.runBalanced(cli, spec, runtime, "proxy", address, backends, scheduler, health,
                section -> {
                    if (tlsSection != null) {
                        section.put("tls", tlsSection, "--tls");
                    }
                    QuickStart.FlagSection cache = QuickStart.FlagSection.nested()
                            .put("memory_size", cacheSize, "--cache-size")
                            .put("dir", cacheDir, "--cache-dir")
                            .put("disk_size", cacheDiskSize, "--cache-disk-size")
                            .put("default_ttl", QuickStart.FlagSection.nested().put("*", defaultTtl, "--default-ttl"),
                                    "--default-ttl");
                    section.put("cache", cache, cacheDir != null ? "--cache-dir"
                            : cacheSize != null ? "--cache-size" : "--default-ttl");
                }, d -> QuickStart.printTlsHints(cli, d));
    }
}
