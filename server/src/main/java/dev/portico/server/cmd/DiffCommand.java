package dev.portico.server.cmd;

import dev.portico.core.config.ConfigException;
import dev.portico.server.Cli;
import dev.portico.server.config.ConfigDiff;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServerConfigReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code portico diff OLD NEW}: prints the admin actions that turn the config in OLD into the one
 * in NEW, one per line with the API call that makes it; exits 1 when some change cannot be made
 * live.
 */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = {"Print the admin actions that turn one config file into another (add/remove host, weight, "
                + "scheduler, group switch, listener open/close, service add/remove).",
                "Exits 1 with the reasons when a change cannot be applied live (service type, workers, ...)."})
public final class DiffCommand implements Callable<Integer> {

    private final Cli cli;

    @Parameters(index = "0", paramLabel = "OLD", description = "The running config file.")
    Path from;

    @Parameters(index = "1", paramLabel = "NEW", description = "The wanted config file.")
    Path to;

    public DiffCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        ServerConfigReader reader = new ServerConfigReader(cli.types());
        ServerConfig a;
        ServerConfig b;
        try {
            a = reader.read(from);
            b = reader.read(to);
        } catch (ConfigException e) {
            CheckCommand.printProblems(cli, e);
            return Cli.FAILED;
        }
        ConfigDiff.Result r = new ConfigDiff().diff(a, b);
        if (!r.refusals().isEmpty()) {
            cli.err().println("portico diff: " + r.refusals().size() + " change(s) cannot be applied live:");
            r.refusals().forEach(x -> cli.err().println("  " + x));
            return Cli.FAILED;
        }
        if (r.same()) {
            cli.out().println("# no differences");
        }
        r.actions().forEach(x -> cli.out().println(x));
        return 0;
    }
}
