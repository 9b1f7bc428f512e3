package dev.portico.server.config;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.transport.Transport;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The whole config of a process: the top-level keys and the services by name, in file order.
 *
 * @param source        where it came from (the file name, or a label such as {@code portico web})
 * @param workers       event loop threads
 * @param transport     the preferred transport, null for automatic
 * @param logLevel      the root log level
 * @param admin         the admin endpoint
 * @param accessLog     where lines of the {@code portico.access} logger go: a file, {@code stdout},
 *                      or null for nowhere
 * @param shutdownGrace how long stopping waits for work in flight
 * @param services      the services by name
 * @param listenHandover whether listeners may join the sockets another process holds on their
 *                      addresses (a deliberate hand-over for an upgrade); false refuses such addresses
 * @param stateDir      where the process keeps what it makes and reuses: the admin token,
 *                      self-signed certificates ({@code ~/.portico} by default)
 * @param runAs         the user and group to switch to after binding ({@code user}, {@code group})
 */
public record ServerConfig(String source, int workers, Transport.Kind transport, String logLevel,
                           AdminSettings admin, String accessLog, Duration shutdownGrace,
                           Map<String, ServiceSpec> services, boolean listenHandover, Path stateDir, RunAs runAs) {

    /** One event loop per core. */
    public static int defaultWorkers() {
        return Runtime.getRuntime().availableProcessors();
    }

    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);

    public ServerConfig {
        services = Collections.unmodifiableMap(new LinkedHashMap<>(services));
        if (stateDir == null) {
            stateDir = ServiceContext.defaultStateDir();
        }
        runAs = runAs == null ? RunAs.NONE : runAs;
    }

    /** A config whose state lives in the default {@code ~/.portico}, keeping the starting user. */
    public ServerConfig(String source, int workers, Transport.Kind transport, String logLevel, AdminSettings admin,
                        String accessLog, Duration shutdownGrace, Map<String, ServiceSpec> services,
                        boolean listenHandover) {
        this(source, workers, transport, logLevel, admin, accessLog, shutdownGrace, services, listenHandover,
                ServiceContext.defaultStateDir(), RunAs.NONE);
    }

    /** A config keeping the starting user. */
    public ServerConfig(String source, int workers, Transport.Kind transport, String logLevel, AdminSettings admin,
                        String accessLog, Duration shutdownGrace, Map<String, ServiceSpec> services,
                        boolean listenHandover, Path stateDir) {
        this(source, workers, transport, logLevel, admin, accessLog, shutdownGrace, services, listenHandover,
                stateDir, RunAs.NONE);
    }

    /** This config with another state directory. */
    public ServerConfig withStateDir(Path dir) {
        return new ServerConfig(source, workers, transport, logLevel, admin, accessLog, shutdownGrace, services,
                listenHandover, dir, runAs);
    }
}
