package dev.portico.core.lifecycle;

import dev.portico.core.limits.ConnectionCap;
import dev.portico.core.limits.IdleConnection;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

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

    /** The connection caps in force, for the start-up check against the descriptor limit; none by default. */
    default List<ConnectionCap> connectionCaps() {
        return List.of();
    }

    /**
     * Hands each client connection that sits between requests to {@code into}, for closing when
     * the process runs short of file descriptors. Called rarely, from any thread; none by default.
     */
    default void idleConnections(Consumer<IdleConnection> into) {
    }

    @Override
    default void close() {
        stop(Duration.ZERO);
    }
}
