package dev.portico.server.cmd;

import dev.portico.core.config.ConfigException;
import dev.portico.server.Cli;
import dev.portico.server.Daemon;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServiceSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code portico dns --listen HOST:PORT --zone ORIGIN=FILE ...}: an authoritative DNS server for
 * master files, no config file. The flags become a {@code type: dns} section read by the dns
 * service type, exactly as if it came from a file. Dynamic (health-checked) records need a config
 * file.
 */
@Command(name = "dns", mixinStandardHelpOptions = true,
        description = {"Answer DNS queries (UDP and TCP) for zone files, no config file needed.",
                "Example: portico dns --listen 127.0.0.1:5353 --zone example.test=example.test.zone"})
public final class DnsCommand implements Callable<Integer> {

    /** Where {@code portico dns} listens unless told otherwise. */
    static final String DEFAULT_LISTEN = "127.0.0.1:5353";

    private final Cli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = DEFAULT_LISTEN,
            description = "Address to listen on (HOST:PORT, :PORT or PORT; default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--zone", required = true, paramLabel = "ORIGIN=FILE",
            description = "A zone and its RFC 1035 master file (repeat the flag for more).")
    List<String> zones;

    public DnsCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        if (cli.types().find("dns").isEmpty()) {
            cli.err().println("portico: this build has no 'dns' service type");
            return Cli.FAILED;
        }
        QuickStart.FlagSection zoneSection = QuickStart.FlagSection.nested();
        for (String z : zones) {
            int eq = z.indexOf('=');
            if (eq <= 0 || eq == z.length() - 1) {
                throw new ParameterException(spec.commandLine(), "--zone: '" + z + "' is not ORIGIN=FILE");
            }
            zoneSection.put(z.substring(0, eq), z.substring(eq + 1), "--zone");
        }
        QuickStart.FlagSection section = QuickStart.FlagSection.service("dns")
                .put("listen", List.of(listen), "--listen")
                .put("zones", zoneSection, "--zone");
        ServiceSpec dns;
        try {
            dns = QuickStart.spec(cli, "dns", section, "portico dns");
        } catch (ConfigException e) {
            CheckCommand.printProblems(cli, e);
            return Cli.USAGE;
        }
        ServerConfig config = runtime.toConfig(spec, "portico dns", dns);
        return QuickStart.run(cli, runtime, config, d -> {
        });
    }
}
