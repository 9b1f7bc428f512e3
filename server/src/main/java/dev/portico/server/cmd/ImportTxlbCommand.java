package dev.portico.server.cmd;

import dev.portico.server.Cli;
import dev.portico.server.txlb.TxlbImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code portico import-txlb FILE}: converts a txLoadBalancer or PythonDirector config.xml to Portico YAML on stdout. */
@Command(name = "import-txlb", mixinStandardHelpOptions = true,
        description = {"Convert a txLoadBalancer (<config>) or PythonDirector (<pdconfig>) config.xml to a Portico "
                + "config, written to stdout.",
                "Anything without a Portico equivalent is kept as a comment that says why.",
                "Example: portico import-txlb /etc/txlb/config.xml > portico.yaml"})
public final class ImportTxlbCommand implements Callable<Integer> {

    private final Cli cli;

    @Parameters(index = "0", paramLabel = "FILE", description = "The config.xml to read.")
    Path file;

    public ImportTxlbCommand(Cli cli) {
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
            cli.out().print(new TxlbImporter(file.toString()).convert(text));
            cli.out().flush();
            return 0;
        } catch (IllegalArgumentException e) {
            cli.err().println("portico: " + file + ": " + e.getMessage());
            return Cli.FAILED;
        }
    }
}
