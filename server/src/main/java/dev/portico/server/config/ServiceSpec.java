package dev.portico.server.config;

import dev.portico.core.config.ConfigException;
import dev.portico.core.config.Location;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.lifecycle.ServiceType;

import java.util.List;
import java.util.Objects;

/**
 * One entry under {@code services:}: its name, its type and the config that type read.
 *
 * @param name     the key under {@code services:}
 * @param type     the service type
 * @param config   the typed config the type's {@code parse} returned
 * @param location where the entry is in the file
 */
public record ServiceSpec(String name, ServiceType<?> type, Object config, Location location) {

    public ServiceSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(config, "config");
    }

    /**
     * The name and type for messages: {@code NAME (TYPE)}, or just {@code NAME} when the service is
     * named after its type, so that {@code dns} is not written {@code dns (dns)}.
     *
     * @param quote whether the name goes in single quotes
     */
    public String label(boolean quote) {
        String n = quote ? "'" + name + "'" : name;
        return name.equals(type.name()) ? n : n + " (" + type.name() + ")";
    }

    /** Builds the (not yet started) service. */
    @SuppressWarnings("unchecked")
    public Service create(ServiceContext context) {
        return ((ServiceType<Object>) type).create(name, config, context);
    }

    /** What {@link ServiceType#checkFiles} finds in the files this service would read when started. */
    @SuppressWarnings("unchecked")
    public List<ConfigException.Problem> checkFiles() {
        return ((ServiceType<Object>) type).checkFiles(name, config, location);
    }

    /** As {@link #checkFiles()}, with the config's top-level {@code state_dir}. */
    @SuppressWarnings("unchecked")
    public List<ConfigException.Problem> checkFiles(java.nio.file.Path stateDir) {
        return ((ServiceType<Object>) type).checkFiles(name, config, location, stateDir);
    }

    /** True when {@code other} would build the same service: same type and an equal config. */
    public boolean sameAs(ServiceSpec other) {
        return type.name().equals(other.type.name()) && config.equals(other.config);
    }
}
