package dev.portico.server.cmd;

import dev.portico.server.Cli;
import dev.portico.server.txlb.TxlbImporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

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
        return QuickStart.importFile(cli, file, text -> new TxlbImporter(file.toString()).convert(text));
    }
}
