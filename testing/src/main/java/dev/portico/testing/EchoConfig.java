package dev.portico.testing;

import dev.portico.core.net.HostPort;

import java.util.Objects;

/**
 * The config of the test echo service.
 *
 * @param listen where to listen
 * @param prefix text put before every echoed line; a live reload can change it
 */
public record EchoConfig(HostPort listen, String prefix) {

    public EchoConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(prefix, "prefix");
    }

    /** An echo service on 127.0.0.1 and a free port. */
    public static EchoConfig loopback(String prefix) {
        return new EchoConfig(new HostPort("127.0.0.1", 0), prefix);
    }
}
