package dev.portico.server.cmd;

import dev.portico.server.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code portico demo}: copies the sample site bundled in the jar to a directory and serves it
 * with gzip on, printing the URLs to open.
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

    @Option(names = "--dir", paramLabel = "DIR", description = "Where to put the sample site (kept after exit).")
    Path dir;

    public DemoCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        Path root = extract(dir != null ? dir : Files.createTempDirectory("portico-demo-"));
        cli.out().println("Demo site: " + root);
        return WebCommand.serve(cli, spec, runtime, "portico demo", root, runtime.listen(DEFAULT_LISTEN), true, false,
                List.of(), null, daemon -> {
                    var site = daemon.supervisor().running().getFirst().service().endpoints();
                    cli.out().println();
                    cli.out().println("Open " + String.join(" or ", site) + " in a browser.");
                    if (daemon.admin() != null) {
                        cli.out().println("Metrics: " + daemon.admin().baseUrl() + "/metrics");
                    }
                    cli.out().println("Stop with Ctrl-C.");
                    cli.out().flush();
                });
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
