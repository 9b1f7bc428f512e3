package dev.portico.server;

import dev.portico.server.cmd.CheckCommand;
import dev.portico.server.cmd.DemoCommand;
import dev.portico.server.cmd.DiffCommand;
import dev.portico.server.cmd.FsCheckCommand;
import dev.portico.server.cmd.FsCommand;
import dev.portico.server.cmd.FsLocateCommand;
import dev.portico.server.cmd.FsRepairCommand;
import dev.portico.server.cmd.FsServeCommand;
import dev.portico.server.cmd.Import3xsdCommand;
import dev.portico.server.cmd.ImportTxlbCommand;
import dev.portico.server.cmd.LbCommand;
import dev.portico.server.cmd.DnsCommand;
import dev.portico.server.cmd.ProxyCommand;
import dev.portico.server.cmd.PorticoCommand;
import dev.portico.server.cmd.ServeCommand;
import dev.portico.server.cmd.TunnelClientCommand;
import dev.portico.server.cmd.TunnelCommand;
import dev.portico.server.cmd.TunnelFingerprintCommand;
import dev.portico.server.cmd.TunnelServerCommand;
import dev.portico.server.cmd.TrainCommand;
import dev.portico.server.cmd.WebCommand;
import dev.portico.lb.LbServiceType;
import dev.portico.dns.DnsServiceType;
import dev.portico.filestore.FilestoreServiceType;
import dev.portico.proxy.ProxyServiceType;
import dev.portico.tunnel.TunnelServiceType;
import dev.portico.web.WebServiceType;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The {@code portico} command. {@link #main} wires the real service types, streams and signal
 * handling; everything else takes them as arguments, so tests run the same commands in-process
 * with their own.
 */
public final class Main {

    private final Cli cli;

    public Main(Cli cli) {
        this.cli = cli;
    }

    public static void main(String[] args) {
        Cli cli = new Cli(builtinTypes(), System.out, System.err, new Logging(), true, d -> {
        });
        System.exit(new Main(cli).run(args));
    }

    /** The service types of this build. */
    public static ServiceTypes builtinTypes() {
        return ServiceTypes.of(new WebServiceType(), new LbServiceType(), new DnsServiceType(),
                new ProxyServiceType(), new FilestoreServiceType(), new TunnelServiceType());
    }

    /** The picocli command tree, with every subcommand. */
    public CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The command tree; with {@code only} naming a subcommand, that one alone is added under the
     * top command. picocli reads every command's annotations by reflection when it is added, and
     * its classes are of a class file version the JVM's AOT cache cannot link ahead of time: adding
     * the one subcommand that runs rather than all of them takes a fifth of a second off a start
     * (docs/decisions.md). Help and an unknown command get the whole tree.
     */
    CommandLine commandLine(String only) {
        Map<String, Supplier<Object>> commands = new LinkedHashMap<>();
        commands.put("serve", () -> new ServeCommand(cli));
        commands.put("check", () -> new CheckCommand(cli));
        commands.put("web", () -> new WebCommand(cli));
        commands.put("lb", () -> new LbCommand(cli));
        commands.put("dns", () -> new DnsCommand(cli));
        commands.put("proxy", () -> new ProxyCommand(cli));
        commands.put("fs", () -> new CommandLine(new FsCommand(cli))
                .addSubcommand("serve", new FsServeCommand(cli))
                .addSubcommand("locate", new FsLocateCommand(cli))
                .addSubcommand("check", new FsCheckCommand(cli))
                .addSubcommand("repair", new FsRepairCommand(cli)));
        commands.put("tunnel", () -> new CommandLine(new TunnelCommand(cli))
                .addSubcommand("server", new TunnelServerCommand(cli))
                .addSubcommand("client", new TunnelClientCommand(cli))
                .addSubcommand("fingerprint", new TunnelFingerprintCommand(cli)));
        commands.put("demo", () -> new DemoCommand(cli));
        commands.put("diff", () -> new DiffCommand(cli));
        commands.put("import-3xsd", () -> new Import3xsdCommand(cli));
        commands.put("import-txlb", () -> new ImportTxlbCommand(cli));
        commands.put("train", () -> new TrainCommand(cli));
        CommandLine cl = new CommandLine(new PorticoCommand(cli));
        commands.forEach((name, command) -> {
            if (only == null || !commands.containsKey(only) || name.equals(only)) {
                cl.addSubcommand(name, command.get());
            }
        });
        // picocli lays each entry out on one line; HelpWriter wraps at 80 columns, at spaces only
        cl.setUsageHelpWidth(HelpWriter.UNWRAPPED);
        cl.setOut(HelpWriter.wrapping(new PrintWriter(cli.out())));
        cl.setErr(HelpWriter.wrapping(new PrintWriter(cli.err())));
        cl.setExecutionExceptionHandler((e, command, parsed) -> {
            command.getErr().println("portico: " + (e.getMessage() != null ? e.getMessage() : e));
            org.slf4j.LoggerFactory.getLogger(Main.class).debug("command failed", e);
            return Cli.FAILED;
        });
        return cl;
    }

    /** Runs a command line and returns its exit status. */
    public int run(String... args) {
        return commandLine(args.length > 0 ? args[0] : null).execute(args);
    }
}
