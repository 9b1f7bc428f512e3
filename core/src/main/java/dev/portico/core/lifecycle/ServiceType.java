package dev.portico.core.lifecycle;

import dev.portico.core.config.ConfigException;
import dev.portico.core.config.Location;
import dev.portico.core.config.Section;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One kind of service in the config file ({@code type: web}). It reads its own section into a
 * typed config and builds the service from it; it never reads another section.
 *
 * @param <C> its config record
 */
public interface ServiceType<C> {

    /** The word used after {@code type:}. */
    String name();

    /**
     * Reads a service's section. Problems go to the section's problem list, each with its
     * file:line:column; the caller throws once every section has been read.
     */
    C parse(String serviceName, Section section);

    /** Builds a service that is not started yet. */
    Service create(String serviceName, C config, ServiceContext context);

    /**
     * Reads what a config points at that only starting the service would read otherwise (the zone
     * files of a DNS service, for example), so that {@code portico check} reports their errors
     * rather than {@code serve} failing on the first.
     *
     * @param serviceName the key under {@code services:}
     * @param config      what {@link #parse} returned
     * @param where       where the service's entry is in the config file
     * @return every problem found, each at its own file and line; empty when there is none
     */
    default List<ConfigException.Problem> checkFiles(String serviceName, C config, Location where) {
        return List.of();
    }

    /**
     * As {@link #checkFiles(String, Object, Location)}, for a process whose top-level
     * {@code state_dir} is {@code stateDir}: a type that keeps state there reads it from there.
     */
    default List<ConfigException.Problem> checkFiles(String serviceName, C config, Location where,
                                                     java.nio.file.Path stateDir) {
        return checkFiles(serviceName, config, where);
    }

    /**
     * Writes a config back as the section {@link #parse} reads: plain maps (insertion-ordered),
     * lists, strings and numbers, including {@code type}. Reading the result back must give an
     * equal config. Used by the admin {@code save} and by {@code portico diff}.
     *
     * @return the section, or empty when this type cannot write its config
     */
    default Optional<Map<String, Object>> toYaml(C config) {
        return Optional.empty();
    }
}
