package dev.portico.server.cmd;

import dev.portico.filestore.StoreCheck;
import dev.portico.server.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code portico fs check -c FILE [--host H] [--json]}: walks every node of each filestore
 * service with PROPFIND and reports missing, misplaced and differing copies (see
 * {@link StoreCheck}). Exits 0 when the store is as placement says, 1 when it found something.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Walk every node of a distributed file store and report missing, misplaced and differing "
                + "copies.",
                "Example: portico fs check -c portico.yaml",
                "Example: portico fs check -c portico.yaml --host files.example.com --json",
                "Exits 0 when every file has its copies, alike, where placement puts them; 1 otherwise."})
public final class FsCheckCommand implements Callable<Integer> {

    private final Cli cli;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", required = true,
            description = "The config file with filestore services.")
    Path config;

    @Option(names = "--service", paramLabel = "NAME", description = "Only this filestore service of the config.")
    String service;

    @Option(names = "--host", paramLabel = "HOST", description = "Only the pool of this Host (default: every pool).")
    String host;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    public FsCheckCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        List<FsStores.Store> stores = FsStores.read(cli, config, service);
        if (stores == null) {
            return Cli.USAGE;
        }
        boolean bar = FsStores.terminal() && !json;
        List<StoreCheck.Result> results = new ArrayList<>();
        int status = 0;
        for (FsStores.Store s : stores) {
            StoreCheck check = new StoreCheck(s.name(), s.config(), s.stateDir());
            try {
                StoreCheck.Result r = check.run(host, bar ? (d, t, phase) -> FsStores.bar(cli.err(), d, t, phase)
                        : StoreCheck.Progress.NONE);
                if (bar) {
                    FsStores.endBar(cli.err());
                }
                results.add(r);
                status = r.clean() ? status : Cli.FAILED;
                if (!json) {
                    StoreCheck.text(r).forEach(cli.out()::println);
                }
            } catch (IOException e) {
                cli.err().println("portico: " + s.name() + ": " + e.getMessage());
                status = Cli.FAILED;
            } finally {
                check.close();
            }
        }
        if (json) {
            try {
                cli.out().println(results.size() == 1 ? StoreCheck.json(results.getFirst())
                        : "[" + String.join(",\n", results.stream().map(FsCheckCommand::json).toList()) + "]");
            } catch (IOException e) {
                cli.err().println("portico: " + e.getMessage());
                return Cli.FAILED;
            }
        }
        cli.out().flush();
        return status;
    }

    private static String json(StoreCheck.Result r) {
        try {
            return StoreCheck.json(r);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
