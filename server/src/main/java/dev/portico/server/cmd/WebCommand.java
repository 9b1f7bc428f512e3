package dev.portico.server.cmd;

import dev.portico.core.config.ConfigException;
import dev.portico.server.Cli;
import dev.portico.server.Daemon;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServiceSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * {@code portico web [ROOT]}: serves a directory with no config file. The flags become a
 * {@code type: web} section read by the web service type, exactly as if it came from a file:
 * {@code root}, {@code listen}, {@code gzip.enabled}, {@code webdav.enabled},
 * {@code webdav.writers}, {@code access_log} and {@code tls} ({@code --tls self-signed} or
 * {@code --tls-cert FILE --tls-key FILE}: the listener is then HTTPS).
 */
@Command(name = "web", mixinStandardHelpOptions = true,
        description = {"Serve a directory over HTTP, no config file needed.",
                "Example: portico web ./public --listen :8080 --gzip",
                "HTTPS: portico web ./public --listen 127.0.0.1:8443 --tls self-signed"})
public final class WebCommand implements Callable<Integer> {

    /** Where {@code portico web} listens unless told otherwise. */
    static final String DEFAULT_LISTEN = "0.0.0.0:8080";
    /** Where it listens with {@code --tls} unless told otherwise. */
    static final String DEFAULT_TLS_LISTEN = "0.0.0.0:8443";

    private final Cli cli;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "ROOT", defaultValue = ".",
            description = "Directory to serve (default: the current directory).")
    Path root;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Address to listen on (HOST:PORT, :PORT or PORT; default: " + DEFAULT_LISTEN + ")."
                    + " With TLS the default is " + DEFAULT_TLS_LISTEN + ".")
    String listen;

    @Option(names = "--tls", paramLabel = "self-signed",
            description = "Serve HTTPS with a development CA and certificate made (and kept) under the state directory.")
    String tls;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "Serve HTTPS with this PEM certificate chain (with --tls-key).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The PEM private key of --tls-cert.")
    Path tlsKey;

    @Option(names = "--gzip", description = "Compress text responses for clients that accept gzip.")
    boolean gzip;

    @Option(names = "--webdav", description = "Accept WebDAV writes (PUT, DELETE, MKCOL) from --writers (default: loopback only).")
    boolean webdav;

    @Option(names = "--writers", split = ",", paramLabel = "CIDR",
            description = "Client ranges allowed to write, comma-separated (example: 127.0.0.1,10.0.0.0/8); implies --webdav.")
    List<String> writers;

    @Option(names = "--access-log", paramLabel = "FILE", description = "Write a combined-format access log line per request to FILE.")
    Path accessLog;

    public WebCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        QuickStart.FlagSection tlsSection = QuickStart.tls(spec, tls, tlsCert, tlsKey);
        String address = listen != null ? listen : tlsSection != null ? DEFAULT_TLS_LISTEN : DEFAULT_LISTEN;
        return serve(cli, spec, runtime, "portico web", root, address, gzip, webdav, writers,
                accessLog, tlsSection, d -> QuickStart.printTlsHints(cli, d));
    }

    /** As below, without TLS. */
    static int serve(Cli cli, CommandSpec spec, RuntimeOptions runtime, String label, Path root, String listen,
                     boolean gzip, boolean webdav, List<String> writers, Path accessLog,
                     Consumer<Daemon> afterStart) throws Exception {
        return serve(cli, spec, runtime, label, root, listen, gzip, webdav, writers, accessLog, null, afterStart);
    }

    /** Builds the web service from flag values and runs it; shared with {@code demo}. */
    static int serve(Cli cli, CommandSpec spec, RuntimeOptions runtime, String label, Path root, String listen,
                     boolean gzip, boolean webdav, List<String> writers, Path accessLog,
                     QuickStart.FlagSection tls, Consumer<Daemon> afterStart) throws Exception {
        if (cli.types().find("web").isEmpty()) {
            cli.err().println("portico: this build has no 'web' service type (known types: "
                    + (cli.types().names().isEmpty() ? "none" : String.join(", ", cli.types().names())) + ")");
            return Cli.FAILED;
        }
        if (!Files.isDirectory(root)) {
            cli.err().println("portico: ROOT '" + root + "' is not a directory");
            return Cli.FAILED;
        }
        boolean dav = webdav || (writers != null && !writers.isEmpty());
        QuickStart.FlagSection section = QuickStart.FlagSection.service("web")
                .put("root", root.toString(), "ROOT")
                .put("listen", listen, "--listen")
                .put("gzip", QuickStart.FlagSection.nested().put("enabled", gzip ? "true" : null, "--gzip"), "--gzip")
                .put("webdav", QuickStart.FlagSection.nested()
                        .put("enabled", dav ? "true" : null, webdav ? "--webdav" : "--writers")
                        .put("writers", writers, "--writers"), webdav ? "--webdav" : "--writers")
                .put("access_log", accessLog == null ? null : accessLog.toString(), "--access-log");
        if (tls != null) {
            section.put("tls", tls, "--tls");
        }
        ServiceSpec web;
        try {
            web = QuickStart.spec(cli, "web", section, label);
        } catch (ConfigException e) {
            CheckCommand.printProblems(cli, e);
            return Cli.USAGE;
        }
        ServerConfig config = runtime.toConfig(spec, label, web);
        return QuickStart.run(cli, runtime, config, afterStart);
    }
}
