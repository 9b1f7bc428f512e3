package dev.portico.core.lifecycle;

import java.time.Duration;
import java.util.List;

/**
 * A named thing that listens and serves: a web site, a balancer, a DNS zone set. Services start
 * once and stop once; {@link #stop} stops accepting at once and waits up to {@code grace} for
 * work in flight.
 */
public interface Service extends AutoCloseable {

    /** The name from the config file. */
    String name();

    /** The service type word from the config, such as {@code web}. */
    String type();

    /** Opens listeners and starts serving. */
    void start() throws Exception;

    /** Stops accepting, lets in-flight work finish within {@code grace}, then closes the rest. */
    void stop(Duration grace);

    /** Human-readable addresses this service answers on, for the start-up banner. */
    List<String> endpoints();

    @Override
    default void close() {
        stop(Duration.ZERO);
    }
}
