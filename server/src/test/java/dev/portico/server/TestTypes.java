package dev.portico.server;

import dev.portico.core.config.Section;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.lifecycle.ServiceType;
import dev.portico.core.net.HostPort;
import dev.portico.testing.EchoConfig;
import dev.portico.testing.EchoServiceType;

import java.util.List;

/** Service types for tests: the echo services, and a stand-in for the web type of the real build. */
public final class TestTypes {

    private TestTypes() {
    }

    /** echo, static-echo and the stand-in web. */
    public static ServiceTypes all() {
        return ServiceTypes.of(new EchoServiceType(), new EchoServiceType(false), new FakeWebType());
    }

    /** What the stand-in web type read from its section. */
    public record FakeWebConfig(String root, HostPort listen, boolean gzip, boolean webdav, List<String> writers,
                                String accessLog) {
    }

    /**
     * Reads the keys the quick-start commands write (root, listen, gzip, webdav, writers,
     * access_log) and runs an echo service on the listen address, so that a quick start can be
     * checked end to end without the web module.
     */
    public static final class FakeWebType implements ServiceType<FakeWebConfig> {

        @Override
        public String name() {
            return "web";
        }

        @Override
        public FakeWebConfig parse(String serviceName, Section section) {
            String root = section.requiredString("root");
            HostPort listen = dev.portico.server.config.ServerConfigReader.hostPort(section, "listen",
                    new HostPort("0.0.0.0", 8080));
            return new FakeWebConfig(root, listen, section.bool("gzip", false), section.bool("webdav", false),
                    section.strings("writers", List.of()), section.string("access_log", null));
        }

        @Override
        public Service create(String serviceName, FakeWebConfig config, ServiceContext context) {
            return new EchoServiceType().create(serviceName, new EchoConfig(config.listen(), "web "), context);
        }
    }
}
