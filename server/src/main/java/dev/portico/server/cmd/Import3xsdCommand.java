package dev.portico.server.cmd;

import dev.portico.server.Cli;
import dev.portico.server.threexsd.ThreeXsdImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code portico import-3xsd FILE}: converts a 3xsd.conf's sections to Portico YAML on stdout. */
@Command(name = "import-3xsd", mixinStandardHelpOptions = true,
        description = {"Convert a 3xsd.conf to a Portico config, written to stdout: [3wsd] to a web service,",
                "[3nsd] to a dns service (failover records, geo variants, LRRR), [3zsd] to a proxy service with a cache,",
                "[3fsd] to a filestore service (pools, stages, redundancy, region, write_permit),",
                "[3wdd] to a tunnel service (session lines, routes and scripts, relay, routing_metric).",
                "Anything without a Portico equivalent is kept as a comment that says why.",
                "Example: portico import-3xsd /etc/3xsd.conf > portico.yaml"})
public final class Import3xsdCommand implements Callable<Integer> {

    private final Cli cli;

    @Parameters(index = "0", paramLabel = "FILE", description = "The 3xsd.conf to read.")
    Path file;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Listen address to write for the first service (3xsd took it from -p; default 0.0.0.0:8000).")
    String listen;

    public Import3xsdCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        return QuickStart.importFile(cli, file, text -> new ThreeXsdImporter(file.toString(), listen).convert(text));
    }
}
