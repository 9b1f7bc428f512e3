package dev.portico.core.lifecycle;

import dev.portico.core.config.Section;

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
}
