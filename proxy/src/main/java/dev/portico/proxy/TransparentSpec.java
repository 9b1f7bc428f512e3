package dev.portico.proxy;

import dev.portico.core.net.Cidr;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Transparent mode (3zsd's {@code * = ttl,0.0.0.0:0}): a Host without a pool is resolved and
 * connected to directly. Only resolved addresses inside {@code allow} are used, so the proxy is
 * never open to the whole network.
 *
 * @param ttl   how long a resolution is kept
 * @param port  the port connected to on the resolved address
 * @param allow the destinations allowed, at least one range
 */
public record TransparentSpec(Duration ttl, int port, List<Cidr> allow) {

    public TransparentSpec {
        Objects.requireNonNull(ttl, "ttl");
        allow = List.copyOf(allow);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("transparent port " + port + " is not 1 to 65535");
        }
        if (allow.isEmpty()) {
            throw new IllegalArgumentException("transparent mode needs 'allow' with at least one CIDR");
        }
    }
}
