package dev.portico.proxy;

import dev.portico.core.net.Cidr;
import dev.portico.core.net.HostPort;
import dev.portico.upstream.Backend;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;

/**
 * Resolves Hosts for transparent mode off the event loops, keeps each answer for the configured
 * TTL, and checks the result against the allowed ranges.
 */
final class Transparent {

    private static final Pattern HOST = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?|\\[?[0-9a-f:.]+]?");
    private static final int MAX_CACHED = 10_000;

    private record Resolved(InetAddress address, long expiresNanos) {
    }

    private final TransparentSpec spec;
    private final Executor blocking;
    private final Map<String, Resolved> cache = new ConcurrentHashMap<>();
    private final Map<InetAddress, Backend> backends = new ConcurrentHashMap<>();

    Transparent(TransparentSpec spec, Executor blocking) {
        this.spec = spec;
        this.blocking = blocking;
    }

    /** Resolves a Host (lower-case, without port); completes exceptionally when it cannot. */
    CompletableFuture<InetAddress> resolve(String host) {
        Resolved r = cache.get(host);
        if (r != null && r.expiresNanos() - System.nanoTime() > 0) {
            return CompletableFuture.completedFuture(r.address());
        }
        if (!HOST.matcher(host).matches()) {
            return CompletableFuture.failedFuture(new UnknownHostException("not a host name: " + host));
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                String literal = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
                InetAddress a = InetAddress.getByName(literal);
                if (cache.size() >= MAX_CACHED) {
                    cache.clear();
                }
                cache.put(host, new Resolved(a, System.nanoTime() + spec.ttl().toNanos()));
                return a;
            } catch (UnknownHostException e) {
                throw new CompletionException(e);
            }
        }, blocking);
    }

    /** True when an address is inside the allowed ranges. */
    boolean allowed(InetAddress a) {
        return Cidr.anyContains(spec.allow(), a);
    }

    /** The backend for a resolved address; one per address, so keep-alive pooling works. */
    Backend backend(InetAddress a) {
        return backends.computeIfAbsent(a, x -> Backend.builder(new HostPort(x.getHostAddress(), spec.port())).build());
    }
}
