package dev.portico.server.cmd;

import dev.portico.filestore.StoreCheck;
import dev.portico.filestore.StoreRepair;
import dev.portico.server.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code portico fs repair -c FILE [--rate 50/s] [--delete-misplaced] [--suspect NODE]}: makes the
 * copies a check finds missing or behind, deletes copies of deleted files and, when asked, stray
 * copies (see {@link StoreRepair}). Resumable: an interrupted repair continues its plan.
 */
@Command(name = "repair", mixinStandardHelpOptions = true,
        description = {"Copy missing or outdated replicas from a good one, and optionally remove misplaced copies.",
                "Example: portico fs repair -c portico.yaml --rate 50/s --delete-misplaced",
                "Copies that differ with nothing to say which is newer are left alone unless --suspect names the "
                        + "node whose copies lose.",
                "An interrupted repair continues where it stopped when run again (--fresh checks again instead)."})
public final class FsRepairCommand implements Callable<Integer> {

    private final Cli cli;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", required = true,
            description = "The config file with filestore services.")
    Path config;

    @Option(names = "--service", paramLabel = "NAME", description = "Only this filestore service of the config.")
    String service;

    @Option(names = "--host", paramLabel = "HOST", description = "Only the pool of this Host (default: every pool).")
    String host;

    @Option(names = "--rate", paramLabel = "N/s", defaultValue = "50/s",
            description = "Copies and deletes per second at most (N/s or N/m; default: ${DEFAULT-VALUE}).")
    String rate;

    @Option(names = "--delete-misplaced", description = "Delete copies on nodes placement does not give the file, "
            + "once its right nodes hold it.")
    boolean deleteMisplaced;

    @Option(names = "--suspect", paramLabel = "HOST:PORT",
            description = "A node whose copies lose when copies differ with nothing to order them (repeat).")
    List<String> suspects;

    @Option(names = "--fresh", description = "Check the store again even if an interrupted repair left a plan.")
    boolean fresh;

    public FsRepairCommand(Cli cli) {
        this.cli = cli;
    }

    /** {@code 50/s}, {@code 50}, {@code 600/m}: actions a second. */
    static double parseRate(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        double per = 1;
        if (t.endsWith("/s")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("/m")) {
            t = t.substring(0, t.length() - 2);
            per = 60;
        }
        double n;
        try {
            n = Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--rate '" + text + "' is not a rate such as 50/s or 600/m");
        }
        if (!(n > 0) || Double.isInfinite(n)) {
            throw new IllegalArgumentException("--rate '" + text + "' must be more than 0");
        }
        return n / per;
    }

    @Override
    public Integer call() {
        StoreRepair.Options options;
        try {
            options = new StoreRepair.Options(parseRate(rate), deleteMisplaced,
                    suspects == null ? Set.of() : Set.copyOf(suspects), fresh);
        } catch (IllegalArgumentException e) {
            cli.err().println("portico: " + e.getMessage());
            return Cli.USAGE;
        }
        List<FsStores.Store> stores = FsStores.read(cli, config, service);
        if (stores == null) {
            return Cli.USAGE;
        }
        boolean bar = FsStores.terminal();
        int status = 0;
        for (FsStores.Store s : stores) {
            StoreRepair repair = new StoreRepair(s.name(), s.config(), s.stateDir());
            try {
                StoreRepair.Progress p = repair.run(host, options,
                        bar ? (d, t, phase) -> FsStores.bar(cli.err(), d, t, phase) : StoreCheck.Progress.NONE,
                        (problem, outcome, done, total) -> {
                            if (bar) {
                                FsStores.endBar(cli.err());
                            }
                            cli.out().println(problem.kind().name().toLowerCase(Locale.ROOT) + " " + problem.uri()
                                    + ": " + outcome);
                            if (bar) {
                                FsStores.bar(cli.err(), done, total, "repairing");
                            }
                        });
                if (bar) {
                    FsStores.endBar(cli.err());
                }
                cli.out().println(StoreRepair.summary(p));
                status = p.failed() > 0 ? Cli.FAILED : status;
            } catch (IOException e) {
                cli.err().println("portico: " + s.name() + ": " + e.getMessage());
                status = Cli.FAILED;
            } finally {
                repair.close();
            }
        }
        cli.out().flush();
        return status;
    }
}
