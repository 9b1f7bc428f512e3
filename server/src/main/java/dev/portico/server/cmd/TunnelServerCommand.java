package dev.portico.server.cmd;

import dev.portico.server.Cli;
import dev.portico.tunnel.TunnelService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code portico tunnel server --listen :9000 --session NAME=LOCAL:PEER --token-file F}: accepts
 * one session, no config file. The banner is followed by the server's fingerprint and the client
 * command line that joins it.
 */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Accept one tunnel session over QUIC, no config file needed (needs root and /dev/net/tun).",
                "Example: portico tunnel server --listen :9000 --session warp1=10.19.27.1:10.19.27.2 --token-file F",
                "It prints the client command line, with the certificate fingerprint to pin."})
public final class TunnelServerCommand implements Callable<Integer> {

    private final Cli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = ":9000",
            description = "UDP address to listen on (HOST:PORT, :PORT or PORT; default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--session", required = true, paramLabel = "NAME=LOCAL:PEER",
            description = "The session: its name (also the device's, 1 to 15 bytes), this side's address and the peer's.")
    String session;

    @Option(names = "--token-file", required = true, paramLabel = "FILE",
            description = "The file with the session's shared token (both sides use the same one).")
    Path tokenFile;

    @Option(names = "--transport-mode", paramLabel = "MODE",
            description = "reliable (default: packets on a QUIC stream) or datagram (QUIC DATAGRAM frames).")
    String transport;

    @Option(names = "--compress", paramLabel = "CODEC", description = "off (default), zlib or lz4.")
    String compress;

    @Option(names = "--mtu", paramLabel = "N", description = "The device MTU (default: 1380).")
    String mtu;

    @Option(names = "--route", paramLabel = "NET/LEN", description = "A route through the tunnel (repeat for more).")
    List<String> routes;

    public TunnelServerCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        String[] s = TunnelCommand.session(spec, session);
        QuickStart.FlagSection section = QuickStart.FlagSection.service("tunnel")
                .put("mode", "server", "portico tunnel server")
                .put("listen", List.of(listen), "--listen")
                .put("state_dir", runtime.stateDir == null ? null : runtime.stateDir.toString(), "--state-dir")
                .put("sessions", QuickStart.FlagSection.nested()
                        .put(s[0], TunnelCommand.sessionSection(s, tokenFile, transport, compress, mtu, routes),
                                "--session"), "--session");
        return TunnelCommand.run(cli, spec, runtime, section, "portico tunnel server", t -> printClientLine(t, s));
    }

    private void printClientLine(TunnelService t, String[] s) {
        InetSocketAddress bound = t.listenAddresses().getFirst();
        String host = bound.getAddress().isAnyLocalAddress() ? "HOST" : bound.getAddress().getHostAddress();
        StringBuilder line = new StringBuilder("portico tunnel client --target " + host + ":" + bound.getPort()
                + " --session " + TunnelCommand.shellWord(s[0] + "=" + s[2] + ":" + s[1]) + " --token-file "
                + TunnelCommand.shellWord(tokenFile.toString()) + " --fingerprint " + t.fingerprint());
        if (transport != null) {
            line.append(" --transport-mode ").append(TunnelCommand.shellWord(transport));
        }
        if (mtu != null) {
            line.append(" --mtu ").append(TunnelCommand.shellWord(mtu));
        }
        cli.out().println("  fingerprint: " + t.fingerprint());
        cli.out().println("  on the other side (HOST: an address of this machine it can reach; the same token file):");
        cli.out().println("    " + line);
    }
}
