package dev.portico.server.cmd;

import dev.portico.core.config.ConfigException;
import dev.portico.server.Cli;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServiceSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code portico fs serve --listen HOST:PORT --node HOST:PORT ... --redundancy N}: a file store
 * router over WebDAV nodes, no config file. The flags become a {@code type: filestore} section
 * ({@code nodes} is stage 0 of the {@code *} pool) read by the filestore service type, exactly as
 * if it came from a file.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Route a distributed file store over WebDAV nodes, no config file needed.",
                "Example: portico fs serve --listen 127.0.0.1:8090 --node 127.0.0.1:9001 --node 127.0.0.1:9002 "
                        + "--redundancy 2",
                "Then: curl -T file http://127.0.0.1:8090/_3fs/file"})
public final class FsServeCommand implements Callable<Integer> {

    /** Where {@code portico fs serve} listens unless told otherwise. */
    static final String DEFAULT_LISTEN = "127.0.0.1:8090";

    private final Cli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = DEFAULT_LISTEN,
            description = "Address to listen on (HOST:PORT, :PORT or PORT; default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--node", required = true, paramLabel = "HOST:PORT",
            description = "A WebDAV node, or a range such as 10.0.0.1-10:80 (repeat the flag for more).")
    List<String> nodes;

    @Option(names = "--redundancy", paramLabel = "N", defaultValue = "2",
            description = "Copies of each file (default: ${DEFAULT-VALUE}); fixed for the store's lifetime.")
    String redundancy;

    @Option(names = "--region", paramLabel = "N",
            description = "16, 256 (default), 4096 or 65536: at most that many nodes per stage; fixed.")
    String region;

    @Option(names = "--write-quorum", paramLabel = "N",
            description = "Copies a write needs before it is acknowledged (default: all of them).")
    String writeQuorum;

    @Option(names = "--write-permit", paramLabel = "CIDR", defaultValue = "127.0.0.1/32,::1/128", split = ",",
            description = "Who may PUT, DELETE and MKCOL (default: ${DEFAULT-VALUE}, this machine only).")
    List<String> writePermit;

    @Option(names = "--force", description = "Accept nodes or redundancy that differ from the recorded layout.")
    boolean force;

    public FsServeCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        if (cli.types().find("filestore").isEmpty()) {
            cli.err().println("portico: this build has no 'filestore' service type");
            return Cli.FAILED;
        }
        QuickStart.FlagSection section = QuickStart.FlagSection.service("filestore")
                .put("listen", List.of(listen), "--listen")
                .put("nodes", nodes, "--node")
                .put("redundancy", redundancy, "--redundancy")
                .put("region", region, "--region")
                .put("write_quorum", writeQuorum, "--write-quorum")
                .put("write_permit", writePermit, "--write-permit")
                .put("state_dir", runtime.stateDir == null ? null : runtime.stateDir.toString(), "--state-dir")
                .put("force", force ? "true" : null, "--force");
        ServiceSpec service;
        try {
            service = QuickStart.spec(cli, "filestore", section, "portico fs serve");
        } catch (ConfigException e) {
            CheckCommand.printProblems(cli, e);
            return Cli.USAGE;
        }
        ServerConfig config = runtime.toConfig(spec, "portico fs serve", service);
        return QuickStart.run(cli, runtime, config, d -> {
        });
    }
}
