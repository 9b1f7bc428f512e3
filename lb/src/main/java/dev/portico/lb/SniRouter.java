package dev.portico.lb;

import dev.portico.core.tls.ClientHelloParser;
import io.micrometer.core.instrument.Counter;

import java.util.HashMap;
import java.util.Map;

/**
 * The SNI routes of a service as they route: each TLS server name to the {@link Route} of its
 * group, built once per config (and per active-group switch) so that placing a connection costs
 * two hash lookups and a counter increment. Exact names are looked up first, then the wildcard of
 * the name without its first label ({@code *.a.test} for {@code x.a.test}: one label, as in
 * certificates), then the {@code default} route.
 */
final class SniRouter {

    /** Where one route sends its connections, and its counter. */
    private record Target(Route route, Counter routed) {
    }

    private final Map<String, Target> exact = new HashMap<>();
    /** Wildcards by the name they end with: {@code a.test} for {@code *.a.test}. */
    private final Map<String, Target> wildcards = new HashMap<>();
    private final Target otherwise;
    private final SniFallback fallback;
    private final Counter invalid;
    private final Counter timedOut;
    private final Counter abandoned;
    private final long helloTimeoutNanos;

    /**
     * @param groups         the service's groups by name (each route's group is one of them)
     * @param maxConnections the connection cap in force, carried by each route
     */
    SniRouter(LbConfig config, Map<String, BackendGroup> groups, int maxConnections, LbMetrics metrics) {
        Map<String, Route> byGroup = new HashMap<>();
        for (Map.Entry<String, String> e : config.sniRoutes().entrySet()) {
            if (e.getKey().equals(LbConfig.SNI_DEFAULT)) {
                continue;
            }
            Route r = byGroup.computeIfAbsent(e.getValue(), g -> new Route(config, groups.get(g), maxConnections, null));
            Target t = new Target(r, metrics.sniRouted(e.getKey(), e.getValue()));
            if (e.getKey().startsWith("*.")) {
                wildcards.put(e.getKey().substring(2), t);
            } else {
                exact.put(e.getKey(), t);
            }
        }
        String defaultGroup = config.sniDefaultGroup();
        this.otherwise = new Target(
                byGroup.computeIfAbsent(defaultGroup, g -> new Route(config, groups.get(g), maxConnections, null)),
                metrics.sniRouted(LbConfig.SNI_DEFAULT, defaultGroup));
        this.fallback = config.sniFallback();
        this.invalid = metrics.sniFallback("invalid", fallback.toString());
        this.timedOut = metrics.sniFallback("timeout", fallback.toString());
        this.abandoned = metrics.sniFallback("invalid", SniFallback.CLOSE.toString());
        this.helloTimeoutNanos = config.clientHelloTimeout().toNanos();
    }

    /** The route for a complete hello, counted under the route that matched. */
    Route route(ClientHelloParser.Hello hello) {
        Target t = match(hello.serverName());
        t.routed.increment();
        return t.route;
    }

    private Target match(String name) {
        if (name == null) {
            return otherwise;
        }
        Target t = exact.get(name);
        if (t != null) {
            return t;
        }
        int dot = name.indexOf('.');
        if (dot > 0 && !wildcards.isEmpty()) {
            t = wildcards.get(name.substring(dot + 1));
            if (t != null) {
                return t;
            }
        }
        return otherwise;
    }

    /**
     * The route for a connection that brought no valid hello, counted; null when it is to be closed.
     *
     * @param timeout true when the client hello timeout ran out, false for bytes that are not a hello
     */
    Route fallback(boolean timeout) {
        (timeout ? timedOut : invalid).increment();
        return fallback == SniFallback.DEFAULT ? otherwise.route : null;
    }

    /** Counts a connection closed because the client ended its side before its hello was complete. */
    void abandoned() {
        abandoned.increment();
    }

    /** How long a connection may take to send its hello. */
    long helloTimeoutNanos() {
        return helloTimeoutNanos;
    }
}
