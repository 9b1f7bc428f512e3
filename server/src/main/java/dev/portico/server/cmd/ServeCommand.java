package dev.portico.server.cmd;

import dev.portico.core.config.ConfigException;
import dev.portico.server.Cli;
import dev.portico.server.Daemon;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServerConfigReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code portico serve -c FILE}: runs the services of a config file until SIGTERM. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the services of a config file.",
                "SIGHUP re-reads the file: new services start, removed ones stop, changed ones are reconfigured "
                        + "(or restarted); a file with problems is logged and the running config stays.",
                "SIGTERM or Ctrl-C stops within shutdown_grace and exits 0."})
public final class ServeCommand implements Callable<Integer> {

    private final Cli cli;

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", required = true, description = "The config file.")
    Path file;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "Overrides log_level: trace, debug, info, warn, error or off.")
    String logLevel;

    @Option(names = "--listen-handover",
            description = "Share addresses that another process listens on (SO_REUSEPORT), to take over "
                    + "from a running Portico during an upgrade; as listen_handover: true in the file.")
    boolean listenHandover;

    public ServeCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        String level = null;
        if (logLevel != null) {
            level = logLevel.toLowerCase(Locale.ROOT);
            if (!ServerConfigReader.LOG_LEVELS.contains(level)) {
                throw new ParameterException(spec.commandLine(), "--log-level: '" + logLevel + "' is not one of "
                        + ServerConfigReader.LOG_LEVELS);
            }
        }
        ServerConfigReader reader = new ServerConfigReader(cli.types());
        ServerConfig config;
        try {
            config = reader.read(file);
        } catch (ConfigException e) {
            CheckCommand.printProblems(cli, e);
            return Cli.FAILED;
        }
        Daemon.ConfigSource source = new Daemon.ConfigSource() {
            @Override
            public ServerConfig load() throws ConfigException {
                return reader.read(file);
            }

            @Override
            public String describe() {
                return file.toString();
            }

            @Override
            public Path file() {
                return file;
            }
        };
        Daemon daemon = new Daemon(source, cli.logging(), cli.out(), level, reader);
        if (listenHandover) {
            daemon.allowListenHandover();
        }
        return QuickStart.run(cli, daemon, config, d -> {
        });
    }
}
