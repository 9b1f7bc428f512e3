package dev.portico.server.cmd;

import dev.portico.server.Cli;
import dev.portico.server.threexsd.ThreeXsdImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code portico import-3xsd FILE}: converts a 3xsd.conf [3wsd] section to Portico YAML on stdout. */
@Command(name = "import-3xsd", mixinStandardHelpOptions = true,
        description = {"Convert the [3wsd] section of a 3xsd.conf to a Portico config, written to stdout.",
                "Anything without a Portico equivalent is kept as a comment that says why.",
                "Example: portico import-3xsd /etc/3xsd.conf > portico.yaml"})
public final class Import3xsdCommand implements Callable<Integer> {

    private final Cli cli;

    @Parameters(index = "0", paramLabel = "FILE", description = "The 3xsd.conf to read.")
    Path file;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Listen address to write (3xsd took it from -p; default 0.0.0.0:8000).")
    String listen;

    public Import3xsdCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            cli.err().println("portico: cannot read " + file + ": " + e.getMessage());
            return Cli.FAILED;
        }
        try {
            cli.out().print(new ThreeXsdImporter(file.toString(), listen).convert(text));
            cli.out().flush();
            return 0;
        } catch (IllegalArgumentException e) {
            cli.err().println("portico: " + file + ": " + e.getMessage());
            return Cli.FAILED;
        }
    }
}
