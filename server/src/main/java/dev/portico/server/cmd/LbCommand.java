package dev.portico.server.cmd;

import dev.portico.server.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code portico lb --listen HOST:PORT --backend HOST:PORT ...}: a TCP load balancer with no
 * config file. The flags become a {@code type: lb} section ({@code listen}, {@code backends},
 * {@code scheduler}, {@code health}) read by the lb service type, exactly as if it came from a
 * file; the hosts are controllable through the admin API.
 */
@Command(name = "lb", mixinStandardHelpOptions = true,
        description = {"Balance TCP connections over backends, no config file needed.",
                "Example: portico lb --listen 127.0.0.1:8000 --backend 127.0.0.1:9001 --backend 127.0.0.1:9002"})
public final class LbCommand implements Callable<Integer> {

    /** Where {@code portico lb} listens unless told otherwise. */
    static final String DEFAULT_LISTEN = "0.0.0.0:8000";

    private final Cli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = DEFAULT_LISTEN,
            description = "Address to listen on (HOST:PORT, :PORT or PORT; default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--backend", required = true, paramLabel = "HOST:PORT",
            description = "A backend to balance to (repeat the flag for more).")
    List<String> backends;

    @Option(names = "--scheduler", paramLabel = "NAME",
            description = "roundrobin (default), random, leastconns, leastconnsrr, weighted, weighted-random, "
                    + "weighted-leastconns, sticky, maglev or rendezvous.")
    String scheduler;

    @Option(names = "--health", paramLabel = "CHECK", description = "tcp (default), http, http:/path, icmp or none.")
    String health;

    public LbCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        return QuickStart.runBalanced(cli, spec, runtime, "lb", listen, backends, scheduler, health);
    }
}
