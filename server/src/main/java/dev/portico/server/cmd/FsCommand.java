package dev.portico.server.cmd;

import dev.portico.server.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code portico fs ...}: the distributed file store's commands ({@code serve}, {@code locate}, {@code check}, {@code repair}). */
@Command(name = "fs", mixinStandardHelpOptions = true,
        description = {"The distributed file store: serve a router, locate a file's nodes, check and repair the copies.",
                "Example: portico fs serve --listen 127.0.0.1:8090 --node 127.0.0.1:9001 --node 127.0.0.1:9002",
                "Example: portico fs locate /_3fs_0/path/to/file -c portico.yaml",
                "Example: portico fs check -c portico.yaml; portico fs repair -c portico.yaml --rate 50/s"})
public final class FsCommand implements Callable<Integer> {

    private final Cli cli;

    @Spec
    CommandSpec spec;

    public FsCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "portico fs needs a command: serve, locate, check or repair");
    }

    Cli cli() {
        return cli;
    }
}
