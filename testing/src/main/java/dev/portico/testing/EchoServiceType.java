package dev.portico.testing;

import dev.portico.core.config.Section;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.lifecycle.ServiceType;
import dev.portico.core.net.HostPort;

/**
 * A line echo service over TCP for testing generic service plumbing (start, stop, reload)
 * without any real protocol. Section keys: {@code listen} (required, HOST:PORT) and
 * {@code prefix} (optional text put before each echoed line).
 *
 * <p>Type {@code echo} builds services that are {@link dev.portico.core.lifecycle.Reconfigurable}
 * (the prefix changes live; a new listen address is refused). Type {@code static-echo} builds
 * services that are not, so a reload has to stop and start them.
 */
public final class EchoServiceType implements ServiceType<EchoConfig> {

    private final boolean reconfigurable;

    /** The reconfigurable {@code echo} type. */
    public EchoServiceType() {
        this(true);
    }

    public EchoServiceType(boolean reconfigurable) {
        this.reconfigurable = reconfigurable;
    }

    @Override
    public String name() {
        return reconfigurable ? "echo" : "static-echo";
    }

    @Override
    public EchoConfig parse(String serviceName, Section section) {
        String listenText = section.requiredString("listen");
        HostPort listen = new HostPort("127.0.0.1", 0);
        if (listenText != null) {
            try {
                listen = HostPort.parse(listenText);
            } catch (IllegalArgumentException e) {
                section.problem("listen", "bad '" + section.path() + ".listen': " + e.getMessage());
            }
        }
        return new EchoConfig(listen, section.string("prefix", ""));
    }

    @Override
    public Service create(String serviceName, EchoConfig config, ServiceContext context) {
        return reconfigurable
                ? new EchoService.Live(serviceName, name(), config, context)
                : new EchoService(serviceName, name(), config, context);
    }
}
