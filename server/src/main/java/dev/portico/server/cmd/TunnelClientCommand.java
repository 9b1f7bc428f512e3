package dev.portico.server.cmd;

import dev.portico.server.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code portico tunnel client --target HOST:PORT --session NAME=LOCAL:PEER --token-file F
 * --fingerprint SHA256}: dials one session, no config file, and keeps dialling when it breaks.
 * After the banner it prints the server command line that accepts it.
 */
@Command(name = "client", mixinStandardHelpOptions = true,
        description = {"Dial one tunnel session over QUIC, no config file needed (needs root and /dev/net/tun).",
                "Example: portico tunnel client --target HOST:9000 --session warp1=10.19.27.2:10.19.27.1 "
                        + "--token-file F --fingerprint SHA256"})
public final class TunnelClientCommand implements Callable<Integer> {

    private final Cli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--target", required = true, paramLabel = "HOST:PORT",
            description = "The tunnel server (port 9000 when left out).")
    String target;

    @Option(names = "--session", required = true, paramLabel = "NAME=LOCAL:PEER",
            description = "The session: its name (also the device's), this side's address and the peer's.")
    String session;

    @Option(names = "--token-file", required = true, paramLabel = "FILE",
            description = "The file with the session's shared token (the server's).")
    Path tokenFile;

    @Option(names = "--fingerprint", paramLabel = "SHA256",
            description = "The server certificate's SHA-256 fingerprint, as the server prints it.")
    String fingerprint;

    @Option(names = "--server-ca", paramLabel = "FILE",
            description = "Instead of --fingerprint: a CA file the server's certificate chains to.")
    Path serverCa;

    @Option(names = "--transport-mode", paramLabel = "MODE",
            description = "reliable (default) or datagram; the server's session must say the same.")
    String transport;

    @Option(names = "--compress", paramLabel = "CODEC", description = "off (default), zlib or lz4.")
    String compress;

    @Option(names = "--mtu", paramLabel = "N", description = "The device MTU (default: 1380).")
    String mtu;

    @Option(names = "--route", paramLabel = "NET/LEN", description = "A route through the tunnel (repeat for more).")
    List<String> routes;

    public TunnelClientCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        String[] s = TunnelCommand.session(spec, session);
        QuickStart.FlagSection sessionSection = TunnelCommand.sessionSection(s, tokenFile, transport, compress, mtu,
                        routes)
                .put("target", target, "--target")
                .put("server_fingerprint", fingerprint, "--fingerprint")
                .put("server_ca", serverCa == null ? null : serverCa.toAbsolutePath().toString(), "--server-ca");
        QuickStart.FlagSection section = QuickStart.FlagSection.service("tunnel")
                .put("mode", "client", "portico tunnel client")
                .put("state_dir", runtime.stateDir == null ? null : runtime.stateDir.toString(), "--state-dir")
                .put("sessions", QuickStart.FlagSection.nested().put(s[0], sessionSection, "--session"), "--session");
        return TunnelCommand.run(cli, spec, runtime, section, "portico tunnel client", t -> {
            int colon = target.lastIndexOf(':');
            String port = colon < 0 || target.endsWith("]") ? "9000" : target.substring(colon + 1);
            cli.out().println("  the server's command line (the same token file):");
            cli.out().println("    portico tunnel server --listen :" + port + " --session "
                    + TunnelCommand.shellWord(s[0] + "=" + s[2] + ":" + s[1]) + " --token-file "
                    + TunnelCommand.shellWord(tokenFile.toString())
                    + (transport == null ? "" : " --transport-mode " + TunnelCommand.shellWord(transport)));
        });
    }
}
