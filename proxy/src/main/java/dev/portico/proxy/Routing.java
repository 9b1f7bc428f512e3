package dev.portico.proxy;

import dev.portico.core.net.Cidr;
import dev.portico.core.net.HostPort;
import dev.portico.core.tls.ClientTls;
import dev.portico.core.tls.ClientTlsException;
import dev.portico.core.tls.ClientTlsSettings;
import dev.portico.upstream.Backend;
import dev.portico.upstream.Pool;
import dev.portico.upstream.health.HealthChecker;
import dev.portico.upstream.health.ProbeTransport;
import dev.portico.upstream.scheduler.Scheduler;
import dev.portico.upstream.scheduler.Schedulers;
import dev.portico.upstream.scheduler.SelectionContext;
import dev.portico.web.http.Exchange;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The pools of a proxy by Host, their schedulers and health checks, and the choice of a backend
 * for a request. {@code iphash} hashes the client's /24 (or /64), taking the rightmost untrusted
 * X-Forwarded-For address when the peer is a trusted proxy; {@code urlhash} hashes the URL path.
 */
final class Routing implements AutoCloseable {

    /**
     * One pool with its scheduler, health checks and retry budget.
     *
     * @param key the pool's Host key ({@code *} for the default), its name in metrics
     */
    record Entry(String key, Pool pool, Scheduler scheduler, String mode, HealthChecker checker, RetryBudget budget) {
    }

    private final Map<String, Entry> byHost = new LinkedHashMap<>();
    private final List<Cidr> trusted;

    /** Routing for a config whose backends are all plain. */
    Routing(ProxyConfig config, ProbeTransport probes) {
        this(config, probes, Map.of());
    }

    /**
     * @param tls the client TLS of every distinct {@code tls} setting of the config's backends
     *            (see {@link #clientTls})
     */
    Routing(ProxyConfig config, ProbeTransport probes, Map<ClientTlsSettings, ClientTls> tls) {
        this.trusted = config.trustedProxies();
        for (Map.Entry<String, PoolSpec> e : config.pools().entrySet()) {
            PoolSpec spec = e.getValue();
            Pool pool = Pool.create(e.getKey());
            for (HostPort hp : spec.backends()) {
                ClientTlsSettings settings = spec.tls(hp);
                ClientTls client = settings == null ? null : tls.get(settings);
                if (settings != null && client == null) {
                    throw new IllegalStateException("no client TLS built for " + hp);
                }
                pool.add(Backend.builder(hp).tls(client).build());
            }
            String mode = spec.scheduler().strip().toLowerCase(Locale.ROOT);
            Scheduler scheduler = Schedulers.byName(mode.equals("iphash") || mode.equals("urlhash") ? "rendezvous" : mode);
            HealthChecker checker = HealthChecker.create(pool, spec.health(), probes);
            byHost.put(e.getKey(), new Entry(e.getKey(), pool, scheduler, mode, checker,
                    new RetryBudget(config.retryBudget(), System::nanoTime)));
        }
    }

    /**
     * Builds one client TLS context per distinct {@code tls} setting of the config's backends
     * (reading their files now, so a reload picks up renewed certificates).
     *
     * @param who what connects, for the log
     * @throws ClientTlsException when a file is missing or unusable
     */
    static Map<ClientTlsSettings, ClientTls> clientTls(ProxyConfig config, String who) throws ClientTlsException {
        Map<ClientTlsSettings, ClientTls> out = new java.util.HashMap<>();
        for (PoolSpec spec : config.pools().values()) {
            for (HostPort hp : spec.backends()) {
                ClientTlsSettings settings = spec.tls(hp);
                if (settings != null && !out.containsKey(settings)) {
                    try {
                        out.put(settings, ClientTls.create(settings, who));
                    } catch (ClientTlsException e) {
                        throw new ClientTlsException(e.key(), who + ": tls." + e.key() + " of backend " + hp + ": "
                                + e.getMessage());
                    }
                }
            }
        }
        return out;
    }

    /** Throws when a scheduler name is neither a 3zsd choice nor an upstream scheduler. */
    static void validateScheduler(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        if (!n.equals("iphash") && !n.equals("urlhash")) {
            try {
                Schedulers.byName(n);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().replace("(expected one of: ",
                        "(expected one of: iphash, urlhash, "), e);
            }
        }
    }

    void start() {
        byHost.values().forEach(e -> e.checker().start());
    }

    /** Every pool, by its Host key ({@code *} is the default), in the config's order. */
    Map<String, Pool> pools() {
        Map<String, Pool> pools = new LinkedHashMap<>();
        byHost.forEach((host, e) -> pools.put(host, e.pool()));
        return pools;
    }

    /**
     * Keeps what the admin API changed across a reload: each host that stays in its pool keeps the
     * admin state (enabled, disabled, draining) and the weight it had in {@code old}.
     */
    void keepHostState(Routing old) {
        byHost.forEach((host, e) -> {
            Entry before = old.byHost.get(host);
            if (before != null) {
                for (Backend b : e.pool().members()) {
                    before.pool().find(b.name()).ifPresent(o -> {
                        b.adminState(o.adminState());
                        b.weight(o.weight());
                    });
                }
            }
        });
    }

    /** The pool for a Host, or the default one, or null. */
    Pool pool(String host) {
        Entry e = entry(host);
        return e == null ? null : e.pool();
    }

    /** The pool entry for a Host, or the default one, or null. */
    Entry entry(String host) {
        Entry e = byHost.get(host);
        return e != null ? e : byHost.get(ProxyConfig.DEFAULT_POOL);
    }

    /**
     * Picks a backend for an exchange, skipping those already tried.
     *
     * @return the backend, or empty when the Host has no pool or no eligible backend is left
     */
    Optional<Backend> pick(Exchange ex, Set<Backend> tried) {
        Entry e = entry(ex.host());
        return e == null ? Optional.empty() : pick(e, ex, tried);
    }

    /** Picks a backend of a pool entry, skipping those already tried; empty when none is left. */
    Optional<Backend> pick(Entry e, Exchange ex, Set<Backend> tried) {
        List<Backend> eligible = e.pool().eligible();
        if (!tried.isEmpty()) {
            List<Backend> left = new ArrayList<>(eligible.size());
            for (Backend b : eligible) {
                if (!tried.contains(b)) {
                    left.add(b);
                }
            }
            eligible = left;
        }
        if (eligible.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(e.scheduler().pick(eligible, context(e.mode(), ex)));
    }

    /** Whether a pool entry has an eligible backend outside {@code tried}. */
    static boolean hasOther(Entry e, Set<Backend> tried) {
        for (Backend b : e.pool().eligible()) {
            if (!tried.contains(b)) {
                return true;
            }
        }
        return false;
    }

    private SelectionContext context(String mode, Exchange ex) {
        return switch (mode) {
            case "iphash" -> SelectionContext.ofKey(network(clientAddress(ex)));
            case "urlhash" -> SelectionContext.ofKey(RequestTarget.path(ex));
            default -> SelectionContext.ofClient(ex.remoteAddress());
        };
    }

    /**
     * The client: the peer, or, when the peer is a trusted proxy, the rightmost X-Forwarded-For
     * address that is not one (the addresses left of it were written by whoever sent them). When
     * every address is trusted the leftmost is taken; an address that does not parse stops the
     * walk and the last trusted hop before it counts as the client.
     */
    InetAddress clientAddress(Exchange ex) {
        InetAddress peer = ex.remoteAddress().getAddress();
        if (trusted.isEmpty() || !Cidr.anyContains(trusted, peer)) {
            return peer;
        }
        List<String> fields = ex.headers().getAll("X-Forwarded-For");
        InetAddress client = peer;
        for (int f = fields.size() - 1; f >= 0; f--) {
            String field = fields.get(f);
            int end = field.length();
            while (end > 0) {
                int comma = field.lastIndexOf(',', end - 1);
                String entry = field.substring(comma + 1, end).strip();
                end = comma;
                if (entry.isEmpty()) {
                    continue;
                }
                InetAddress a = literal(entry);
                if (a == null) {
                    return client;
                }
                client = a;
                if (!Cidr.anyContains(trusted, a)) {
                    return a;
                }
            }
        }
        return client;
    }

    /** An IP address literal, or null when {@code s} is not one (no name is ever resolved). */
    private static InetAddress literal(String s) {
        if (s.indexOf(':') < 0 && !Character.isDigit(s.charAt(0))) {
            return null;
        }
        try {
            return InetAddress.ofLiteral(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The /24 of an IPv4 address or the /64 of an IPv6 one, as a string key. */
    static String network(InetAddress a) {
        byte[] b = a.getAddress();
        int keep = b.length == 4 ? 3 : 8;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < keep; i++) {
            sb.append(b[i] & 0xff).append('.');
        }
        return sb.toString();
    }

    @Override
    public void close() {
        byHost.values().forEach(e -> e.checker().close());
    }
}
