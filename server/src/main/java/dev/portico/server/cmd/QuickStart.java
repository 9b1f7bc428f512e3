package dev.portico.server.cmd;

import dev.portico.core.config.ConfigException;
import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.Location;
import dev.portico.core.config.Problems;
import dev.portico.server.Cli;
import dev.portico.server.Daemon;
import dev.portico.server.Supervisor;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServerConfigReader;
import dev.portico.server.config.ServiceSpec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Shared by the commands that run services: build a service from flags the way the config file
 * reader would, and run a {@link Daemon}.
 */
final class QuickStart {

    private QuickStart() {
    }

    /**
     * A service section made from command-line values. Each value is located at the flag that
     * gave it, so a bad value is reported as, for example, {@code --listen: bad 'services.web.listen': ...}.
     */
    static final class FlagSection {

        private final Map<String, ConfigNode> entries = new LinkedHashMap<>();
        private final Map<String, Location> keys = new LinkedHashMap<>();

        /** A service section, starting with {@code type:}. */
        static FlagSection service(String type) {
            return new FlagSection().put("type", type, "portico " + type);
        }

        /** A nested section, such as {@code gzip:}. */
        static FlagSection nested() {
            return new FlagSection();
        }

        /** Adds a nested section unless it is empty. */
        FlagSection put(String key, FlagSection child, String flag) {
            if (!child.entries.isEmpty()) {
                entries.put(key, child.node(flag));
                keys.put(key, Location.of(flag));
            }
            return this;
        }

        FlagSection put(String key, String value, String flag) {
            if (value != null) {
                Location at = Location.of(flag);
                entries.put(key, new ConfigNode.ScalarNode(at, value));
                keys.put(key, at);
            }
            return this;
        }

        /** Adds a list of sections, such as {@code certificates: [{cert, key}]}. */
        FlagSection putSections(String key, List<FlagSection> items, String flag) {
            if (!items.isEmpty()) {
                Location at = Location.of(flag);
                entries.put(key, new ConfigNode.ListNode(at, items.stream().map(i -> i.node(flag)).toList()));
                keys.put(key, at);
            }
            return this;
        }

        FlagSection put(String key, List<String> values, String flag) {
            if (values != null && !values.isEmpty()) {
                Location at = Location.of(flag);
                entries.put(key, new ConfigNode.ListNode(at,
                        values.stream().map(v -> (ConfigNode) new ConfigNode.ScalarNode(at, v)).toList()));
                keys.put(key, at);
            }
            return this;
        }

        ConfigNode node(String label) {
            return new ConfigNode.MapNode(Location.of(label), entries, keys);
        }
    }

    /**
     * The {@code tls:} section of {@code --tls self-signed} or {@code --tls-cert FILE --tls-key FILE},
     * or null when neither was given.
     *
     * @throws picocli.CommandLine.ParameterException when the flags do not go together
     */
    static FlagSection tls(CommandSpec command, String mode, Path cert, Path key) {
        if (mode == null && cert == null && key == null) {
            return null;
        }
        if (mode != null && !mode.equals("self-signed")) {
            throw new picocli.CommandLine.ParameterException(command.commandLine(),
                    "--tls: '" + mode + "' is not a mode (use --tls self-signed, or --tls-cert FILE --tls-key FILE)");
        }
        if (mode != null && (cert != null || key != null)) {
            throw new picocli.CommandLine.ParameterException(command.commandLine(),
                    "--tls self-signed and --tls-cert/--tls-key do not go together");
        }
        if (mode != null) {
            return FlagSection.nested().put("self_signed", "true", "--tls");
        }
        if (cert == null || key == null) {
            throw new picocli.CommandLine.ParameterException(command.commandLine(),
                    "--tls-cert and --tls-key go together: give both");
        }
        FlagSection pair = FlagSection.nested().put("cert", cert.toAbsolutePath().toString(), "--tls-cert")
                .put("key", key.toAbsolutePath().toString(), "--tls-key");
        return FlagSection.nested().putSections("certificates", List.of(pair), "--tls-cert");
    }

    /**
     * After the banner of a quick start with a self-signed certificate: where its CA is and a
     * {@code curl} line that trusts it, for each web or proxy service that has one.
     */
    static void printTlsHints(Cli cli, Daemon daemon) {
        for (Supervisor.Running r : daemon.supervisor().running()) {
            TlsListeners t = switch (r.service()) {
                case dev.portico.web.WebServer web -> new TlsListeners(web.tls(), web.listenAddresses(),
                        web.config().listeners());
                case dev.portico.proxy.ProxyService proxy -> new TlsListeners(proxy.tls(), proxy.listenAddresses(),
                        proxy.config().listeners());
                default -> null;
            };
            if (t == null || t.tls() == null || t.tls().selfSigned() == null) {
                continue;
            }
            Path ca = t.tls().selfSigned().caCert();
            cli.out().println("  TLS: self-signed certificate; its development CA is " + ca);
            t.bound().entrySet().stream()
                    .filter(e -> t.listeners().stream().anyMatch(l -> l.address().equals(e.getKey()) && l.tls()))
                    .findFirst()
                    .ifPresent(e -> cli.out().println("  try: curl --cacert " + ca + " " + httpsUrl(e.getValue())));
        }
        cli.out().flush();
    }

    /** A service's TLS contexts, its bound listen addresses and their settings. */
    private record TlsListeners(dev.portico.core.tls.ServerTls tls,
                                Map<dev.portico.core.net.HostPort, java.net.InetSocketAddress> bound,
                                List<dev.portico.core.transport.ListenSpec> listeners) {
    }

    /** {@code https://HOST:PORT/} for a bound address; a wildcard address is shown as localhost. */
    static String httpsUrl(java.net.InetSocketAddress a) {
        String host = a.getAddress().isAnyLocalAddress() ? "localhost"
                : a.getAddress() instanceof java.net.Inet6Address ? "[" + a.getAddress().getHostAddress() + "]"
                : a.getAddress().getHostAddress();
        return "https://" + host + ":" + a.getPort() + "/";
    }

    /**
     * The quick start of a service type that balances over {@code --backend}s ({@code lb},
     * {@code proxy}): the flags become the type's section ({@code listen}, {@code backends},
     * {@code scheduler}, {@code health}), read exactly as if they came from a file.
     */
    static int runBalanced(Cli cli, CommandSpec command, RuntimeOptions runtime, String type,
                           String listen, List<String> backends, String scheduler, String health) throws Exception {
        return runBalanced(cli, command, runtime, type, listen, backends, scheduler, health, s -> {
        });
    }

    /** As above, with {@code more} adding the type's own keys to the section. */
    static int runBalanced(Cli cli, CommandSpec command, RuntimeOptions runtime, String type, String listen,
                           List<String> backends, String scheduler, String health, Consumer<FlagSection> more)
            throws Exception {
        return runBalanced(cli, command, runtime, type, listen, backends, scheduler, health, more, d -> {
        });
    }

    /** As above, telling {@code afterStart} about the started daemon (the TLS hints of a quick start). */
    static int runBalanced(Cli cli, CommandSpec command, RuntimeOptions runtime, String type, String listen,
                           List<String> backends, String scheduler, String health, Consumer<FlagSection> more,
                           Consumer<Daemon> afterStart) throws Exception {
        if (cli.types().find(type).isEmpty()) {
            cli.err().println("portico: this build has no '" + type + "' service type");
            return Cli.FAILED;
        }
        FlagSection section = FlagSection.service(type)
                .put("listen", List.of(listen), "--listen")
                .put("backends", backends, "--backend")
                .put("scheduler", scheduler, "--scheduler")
                .put("health", health, "--health");
        more.accept(section);
        ServiceSpec service;
        try {
            service = spec(cli, type, section, "portico " + type);
        } catch (ConfigException e) {
            CheckCommand.printProblems(cli, e);
            return Cli.USAGE;
        }
        ServerConfig config = runtime.toConfig(command, "portico " + type, service);
        return run(cli, runtime, config, afterStart);
    }

    /**
     * An import command: reads {@code file}, converts its text and prints the YAML on stdout; an
     * unreadable file or text the converter refuses is one line on stderr and exit status 1.
     */
    static int importFile(Cli cli, Path file, UnaryOperator<String> convert) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            cli.err().println("portico: cannot read " + file + ": " + e.getMessage());
            return Cli.FAILED;
        }
        try {
            cli.out().print(convert.apply(text));
            cli.out().flush();
            return 0;
        } catch (IllegalArgumentException e) {
            cli.err().println("portico: " + file + ": " + e.getMessage());
            return Cli.FAILED;
        }
    }

    /** Reads a flag-made section through the registry's type; problems are thrown together. */
    static ServiceSpec spec(Cli cli, String name, FlagSection section, String label) throws ConfigException {
        Problems problems = new Problems();
        ServiceSpec spec = new ServerConfigReader(cli.types()).service(name, section.node(label), problems);
        ServerConfigReader.throwDistinct(problems);
        return spec;
    }

    /**
     * Starts a daemon for a quick start's {@code config} (no file behind it), tells
     * {@code afterStart} about it, and serves until stopped. When {@code --admin} was not given and
     * the default admin address is taken, the admin endpoint moves to a free port.
     */
    static int run(Cli cli, RuntimeOptions runtime, ServerConfig config, Consumer<Daemon> afterStart)
            throws Exception {
        Daemon daemon = new Daemon(Daemon.ConfigSource.fixed(config), cli.logging(), cli.out(), config.logLevel());
        if (runtime.adminDefaulted()) {
            daemon.moveAdminWhenTaken();
        }
        return run(cli, daemon, config, afterStart);
    }

    /** Starts a daemon, tells {@code afterStart} about it, and serves until stopped. */
    static int run(Cli cli, Daemon daemon, ServerConfig config, Consumer<Daemon> afterStart) throws Exception {
        if (cli.signals()) {
            daemon.handleSignals(); // before the start: a signal right after "Ready." is not lost
        }
        try {
            daemon.start(config);
        } catch (Supervisor.StartException | java.io.IOException e) {
            daemon.releaseSignals();
            cli.err().println("portico: " + e.getMessage());
            return Cli.FAILED;
        }
        afterStart.accept(daemon);
        cli.onStarted().accept(daemon);
        return daemon.serveUntilStopped(cli.signals());
    }
}
