package dev.portico.server.cmd;

import dev.portico.server.Cli;
import dev.portico.server.VersionInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** The top of the command tree; without a subcommand it prints the usage. */
@Command(name = "portico", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
        description = "One fast daemon for the front-door jobs of a site: static web, load balancing, proxy, DNS.",
        footer = {"", "Start with: portico demo    or    portico web ./public",
                "Run from a config file: portico serve -c portico.yaml (portico check -c portico.yaml validates it)."})
public final class PorticoCommand implements Callable<Integer> {

    private final Cli cli;

    @Spec
    CommandSpec spec;

    public PorticoCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Cli.USAGE;
    }

    Cli cli() {
        return cli;
    }
}
