package dev.portico.server.cmd;

import dev.portico.core.config.ConfigException;
import dev.portico.core.tls.TlsException;
import dev.portico.server.Cli;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServerConfigReader;
import dev.portico.server.config.ServiceSpec;
import dev.portico.tunnel.ServerIdentity;
import dev.portico.tunnel.TunnelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;

/**
 * {@code portico tunnel fingerprint -c FILE}: the SHA-256 fingerprint of each accepting tunnel
 * service's certificate, for the clients' {@code server_fingerprint}. A certificate not made yet
 * is made now, as the first start would, so that clients can be configured before it.
 */
@Command(name = "fingerprint", mixinStandardHelpOptions = true,
        description = {"Print the certificate fingerprint of each tunnel server in a config (makes it when missing).",
                "Example: portico tunnel fingerprint -c portico.yaml"})
public final class TunnelFingerprintCommand implements Callable<Integer> {

    private final Cli cli;

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "The config file.")
    Path config;

    @Option(names = "--service", paramLabel = "NAME", description = "Only this tunnel service of the config.")
    String service;

    public TunnelFingerprintCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        ServerConfig c;
        try {
            c = new ServerConfigReader(cli.types()).read(config);
        } catch (ConfigException e) {
            CheckCommand.printProblems(cli, e);
            return Cli.USAGE;
        }
        int found = 0;
        for (ServiceSpec s : c.services().values()) {
            if (!(s.config() instanceof TunnelConfig tc) || !tc.mode().accepts()
                    || (service != null && !service.equals(s.name()))) {
                continue;
            }
            Path stateDir = tc.stateDir() != null ? tc.stateDir() : c.stateDir();
            try {
                ServerIdentity id = ServerIdentity.ensure(stateDir, s.name(), Clock.systemUTC());
                cli.out().println(s.name() + " " + id.fingerprint());
                found++;
            } catch (TlsException e) {
                cli.err().println("portico: service '" + s.name() + "': " + e.getMessage());
                return Cli.FAILED;
            }
        }
        cli.out().flush();
        if (found == 0) {
            cli.err().println("portico: " + config + " has no tunnel service that accepts (mode server or hybrid)"
                    + (service == null ? "" : " named '" + service + "'"));
            return Cli.FAILED;
        }
        return 0;
    }
}
