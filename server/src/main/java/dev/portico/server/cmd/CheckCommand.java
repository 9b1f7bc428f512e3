package dev.portico.server.cmd;

import dev.portico.core.config.ConfigException;
import dev.portico.server.Cli;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServerConfigReader;
import dev.portico.server.config.ServiceSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code portico check -c FILE}: reads and validates a config without starting anything, and
 * reads the files its services would load when started (zone files), reporting every error in them.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Validate a config file, and the files it points at such as zone files, without starting anything.",
                "Prints each problem as file:line:column: message and exits 1, or prints 'FILE: OK (N services)'."})
public final class CheckCommand implements Callable<Integer> {

    private final Cli cli;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", required = true, description = "The config file.")
    Path file;

    public CheckCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        try {
            ServerConfig config = new ServerConfigReader(cli.types()).read(file);
            List<ConfigException.Problem> problems = new ArrayList<>();
            for (ServiceSpec service : config.services().values()) {
                problems.addAll(service.checkFiles(config.stateDir()));
            }
            if (!problems.isEmpty()) {
                throw new ConfigException(problems);
            }
            int n = config.services().size();
            cli.out().println(file + ": OK (" + n + (n == 1 ? " service)" : " services)"));
            return 0;
        } catch (ConfigException e) {
            printProblems(cli, e);
            return Cli.FAILED;
        }
    }

    /** Prints each problem once, as file:line:column: message, in file order. */
    static void printProblems(Cli cli, ConfigException e) {
        inFileOrder(e.problems()).stream().map(Object::toString).distinct().forEach(cli.err()::println);
        cli.err().flush();
    }

    /**
     * The problems in the order a reader meets them: by file (in the order the files first come
     * up), then line, then column. The reader checks keys in its own order, not the file's.
     */
    public static List<ConfigException.Problem> inFileOrder(List<ConfigException.Problem> problems) {
        Map<String, Integer> files = new HashMap<>();
        for (ConfigException.Problem p : problems) {
            files.putIfAbsent(String.valueOf(p.where().file()), files.size());
        }
        List<ConfigException.Problem> sorted = new ArrayList<>(problems);
        sorted.sort(Comparator.comparingInt((ConfigException.Problem p) -> files.get(String.valueOf(p.where().file())))
                .thenComparingInt(p -> p.where().line())
                .thenComparingInt(p -> p.where().column()));
        return sorted;
    }
}
