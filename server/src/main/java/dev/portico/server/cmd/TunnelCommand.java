package dev.portico.server.cmd;

import dev.portico.core.config.ConfigException;
import dev.portico.server.Cli;
import dev.portico.server.Daemon;
import dev.portico.server.Supervisor;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServiceSpec;
import dev.portico.tunnel.TunnelService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code portico tunnel ...}: the WAN tunnel's quick starts ({@code server}, {@code client}) and
 * {@code fingerprint}. The quick starts' flags become a {@code type: tunnel} section with one
 * session, read by the tunnel service type exactly as if it came from a file.
 */
@Command(name = "tunnel", mixinStandardHelpOptions = true,
        description = {"IP tunnels between sites over QUIC: serve one, dial one, print a server's fingerprint.",
                "Example: portico tunnel server --listen :9000 --session warp1=10.19.27.1:10.19.27.2 --token-file F",
                "Example: portico tunnel client --target HOST:9000 --session warp1=10.19.27.2:10.19.27.1 "
                        + "--token-file F --fingerprint SHA256",
                "Example: portico tunnel fingerprint -c portico.yaml"})
public final class TunnelCommand implements Callable<Integer> {

    private final Cli cli;

    @Spec
    CommandSpec spec;

    public TunnelCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "portico tunnel needs a command: server, client or fingerprint");
    }

    /** {@code NAME=LOCAL:PEER}, split; a usage error when it is not. */
    static String[] session(CommandSpec command, String text) {
        int eq = text.indexOf('=');
        int colon = text.indexOf(':', eq + 1);
        if (eq <= 0 || colon < 0 || colon == eq + 1 || colon == text.length() - 1
                || text.indexOf(':', colon + 1) >= 0) {
            throw new ParameterException(command.commandLine(), "--session: '" + text
                    + "' is not NAME=LOCAL:PEER (for example warp1=10.19.27.1:10.19.27.2)");
        }
        return new String[] {text.substring(0, eq), text.substring(eq + 1, colon), text.substring(colon + 1)};
    }

    /** The session section shared by both quick starts. */
    static QuickStart.FlagSection sessionSection(String[] s, Path tokenFile, String transport, String compress,
                                                 String mtu, List<String> routes) {
        return QuickStart.FlagSection.nested()
                .put("local", s[1], "--session")
                .put("peer", s[2], "--session")
                .put("token_file", tokenFile == null ? null : tokenFile.toAbsolutePath().toString(), "--token-file")
                .put("transport", transport, "--transport-mode")
                .put("compress", compress, "--compress")
                .put("mtu", mtu, "--mtu")
                .put("routes", routes, "--route");
    }

    /** Builds the service from its section and runs it, then {@code afterStart} prints the other side's line. */
    static int run(Cli cli, CommandSpec command, RuntimeOptions runtime, QuickStart.FlagSection section, String label,
                   java.util.function.Consumer<TunnelService> afterStart) throws Exception {
        if (cli.types().find("tunnel").isEmpty()) {
            cli.err().println("portico: this build has no 'tunnel' service type");
            return Cli.FAILED;
        }
        ServiceSpec service;
        try {
            service = QuickStart.spec(cli, "tunnel", section, label);
        } catch (ConfigException e) {
            CheckCommand.printProblems(cli, e);
            return Cli.USAGE;
        }
        ServerConfig config = runtime.toConfig(command, label, service);
        return QuickStart.run(cli, runtime, config, (Daemon d) -> {
            for (Supervisor.Running r : d.supervisor().running()) {
                if (r.service() instanceof TunnelService t) {
                    afterStart.accept(t);
                }
            }
            cli.out().flush();
        });
    }

    /** How a command line writes a value: as it is when it is plain, else in single quotes. */
    static String shellWord(String v) {
        return v.matches("[A-Za-z0-9_./:=@%+,-]+") ? v : "'" + v.replace("'", "'\\''") + "'";
    }
}
