package dev.portico.server.cmd;

import dev.portico.admin.AdminServer;
import dev.portico.core.net.HostPort;
import dev.portico.core.transport.Transport;
import dev.portico.server.config.AdminSettings;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.config.ServerConfigReader;
import dev.portico.server.config.ServiceSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Model.CommandSpec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The flags every quick-start command shares ({@code web}, {@code demo}, {@code lb},
 * {@code proxy}, {@code dns}), mixed in with {@code @Mixin}. Each command has its own
 * {@code --listen}, whose help shows that command's default.
 */
public final class RuntimeOptions {

    @Option(names = "--workers", paramLabel = "N",
            description = "Event loop threads (default: one per core).")
    Integer workers;

    @Option(names = "--transport", paramLabel = "KIND",
            description = "auto (default), io_uring, epoll or nio.")
    String transport;

    @Option(names = "--admin", paramLabel = "HOST:PORT|off",
            description = "Admin endpoint with the JSON API, /metrics and /healthz (default: 127.0.0.1:9090; "
                    + "token in ~/.portico/admin.token).")
    String admin;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "trace, debug, info (default), warn, error or off.")
    String logLevel;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Where Portico keeps the admin token and self-signed certificates (default: ~/.portico).")
    java.nio.file.Path stateDir;

    @Option(names = "--listen-handover",
            description = "Share addresses that another process listens on (SO_REUSEPORT), to take over "
                    + "from a running Portico during an upgrade. Without it such an address is refused.")
    boolean listenHandover;

    /** Whether {@code --admin} was left out, so the admin endpoint is at its default address. */
    public boolean adminDefaulted() {
        return admin == null;
    }

    /** The {@code --log-level} value in lower case, or null; a bad value is a usage error. */
    public String logLevel(CommandSpec spec) {
        if (logLevel == null) {
            return null;
        }
        String l = logLevel.toLowerCase(Locale.ROOT);
        if (!ServerConfigReader.LOG_LEVELS.contains(l)) {
            throw new ParameterException(spec.commandLine(), "--log-level: '" + logLevel + "' is not one of "
                    + ServerConfigReader.LOG_LEVELS);
        }
        return l;
    }

    /** A whole-process config around one service built from flags. */
    public ServerConfig toConfig(CommandSpec spec, String source, ServiceSpec service) {
        return toConfig(spec, source, List.of(service));
    }

    /** A whole-process config around services built from flags, in the given order. */
    public ServerConfig toConfig(CommandSpec spec, String source, List<ServiceSpec> services) {
        int w = workers != null ? workers : ServerConfig.defaultWorkers();
        if (w < 1 || w > 4096) {
            throw new ParameterException(spec.commandLine(), "--workers: " + w + " is out of range (1 to 4096)");
        }
        Transport.Kind kind;
        try {
            kind = transport == null ? null : Transport.Kind.parse(transport);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--transport: " + e.getMessage());
        }
        String level = logLevel(spec);
        Map<String, ServiceSpec> byName = new LinkedHashMap<>();
        services.forEach(s -> byName.put(s.name(), s));
        return new ServerConfig(source, w, kind, level != null ? level : "info", adminSettings(spec), null,
                ServerConfig.DEFAULT_GRACE, byName, listenHandover, stateDir);
    }

    private AdminSettings adminSettings(CommandSpec spec) {
        if (admin == null) {
            return AdminSettings.at(AdminServer.DEFAULT_LISTEN);
        }
        String a = admin.trim().toLowerCase(Locale.ROOT);
        if (a.equals("off") || a.equals("false") || a.equals("no")) {
            return AdminSettings.off();
        }
        try {
            return AdminSettings.at(HostPort.parse(admin));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--admin: " + e.getMessage());
        }
    }
}
