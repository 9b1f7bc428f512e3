package dev.portico.filestore;

import dev.portico.core.config.ConfigException;
import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.Location;
import dev.portico.core.config.Section;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.lifecycle.ServiceType;
import dev.portico.core.net.Cidr;
import dev.portico.core.net.HostPort;
import dev.portico.proxy.ProxyCache;
import dev.portico.upstream.health.HealthCheckConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code type: filestore} in the config file: 3fsd's router over WebDAV nodes. Reads only its own
 * section:
 *
 * <pre>
 * listen: [0.0.0.0:8090]
 * redundancy: 2                 # copies per file; fixed for the store's lifetime
 * region: 256                   # 16, 256, 4096 or 65536; fixed for the store's lifetime
 * prefix: _3fs                  # URLs /_3fs_&lt;stage&gt;/path
 * write_permit: [10.0.0.0/24]   # who may PUT, DELETE, MKCOL; none by default (writes refused)
 * write_quorum: 2               # copies that must succeed (default: all)
 * pools:
 *   "*":                        # by Host; "*" for any other Host
 *     stage: 1                  # the current stage (default: the highest)
 *     stages:
 *       - {stage: 0, nodes: [10.0.0.1-10:80]}
 *       - {stage: 1, nodes: [10.0.1.1-20:80]}
 * nodes: [127.0.0.1:9001]       # shorthand: the "*" pool with stage 0 only
 * health: tcp                   # none, tcp, http, http:/path, icmp
 * timeouts: {connect: 5s, response: 60s, idle: 60s}
 * limits: {body: 0, connections: 0}
 * state_dir: /srv/fs-state      # STATE_DIR/filestore/SERVICE.state (layout) and .journal (default: the top-level state_dir)
 * tombstone_ttl: 7d             # how long the handoff journal remembers a delete
 * handoff: {interval: 5s, rate: 100, max_entries: 1000000}
 * force: false                  # accept a changed layout and record it
 * backlog: 4096
 * cache: {memory_size: 64m}      # reads cached as by the proxy (same section); no key, no cache
 * </pre>
 */
public final class FilestoreServiceType implements ServiceType<FilestoreConfig> {

    @Override
    public String name() {
        return "filestore";
    }

    /** @return the config, or null when the section has problems (they are in its problem list) */
    @Override
    public FilestoreConfig parse(String serviceName, Section s) {
        int before = s.problems().list().size();
        FilestoreConfig.Builder b = FilestoreConfig.builder();
        s.string("type", "filestore");
        s.list("listen", List.of(), HostPort::parse).forEach(b::listen);
        if (!s.has("listen")) {
            s.problem("listen", "'" + s.path() + "' needs 'listen' (for example listen: [0.0.0.0:8090])");
        }
        int region = s.integer("region", FilestoreConfig.DEFAULT_REGION, 1, 65536);
        if (!Placement.validRegion(region)) {
            s.problem("region", "'" + s.path() + ".region' must be 16, 256, 4096 or 65536, not " + region
                    + " (other values skew placement)");
        }
        b.region(region);
        int redundancy = s.integer("redundancy", 2, 1, 64);
        if (Placement.validRegion(region) && redundancy > Placement.maxRedundancy(region)) {
            s.problem("redundancy", "'" + s.path() + ".redundancy' is " + redundancy + ", more than md5 can place "
                    + "with region " + region + ": at most " + Placement.maxRedundancy(region) + " (32 hex digits, "
                    + Placement.digits(region) + " per copy)");
        }
        b.redundancy(redundancy);
        b.prefix(s.string("prefix", FilestoreConfig.DEFAULT_PREFIX));
        for (String c : s.strings("write_permit", List.of())) {
            try {
                b.writePermit(Cidr.parse(c));
            } catch (IllegalArgumentException e) {
                s.problem("write_permit", "bad '" + s.path() + ".write_permit': " + e.getMessage());
            }
        }
        if (s.has("write_quorum")) {
            int q = s.integer("write_quorum", redundancy, 1, 64);
            if (q > redundancy) {
                s.problem("write_quorum", "'" + s.path() + ".write_quorum' is " + q + ", more than redundancy "
                        + redundancy);
            }
            b.writeQuorum(q);
        }
        if (s.has("nodes")) {
            StorePool p = stageZero(s, redundancy, region);
            if (p != null) {
                b.pool(p);
            }
        }
        if (s.has("pools")) {
            Section pools = s.section("pools");
            for (String host : pools.keys()) {
                if (!(pools.node(host).orElseThrow() instanceof ConfigNode.MapNode)) {
                    pools.problem(host, "'" + pools.path() + "." + host + "' must be a map with 'stages'");
                    continue;
                }
                StorePool p = pool(host, pools.section(host), redundancy, region);
                if (p != null) {
                    b.pool(p);
                }
            }
        }
        if (!s.has("pools") && !s.has("nodes")) {
            s.problem("pools", "'" + s.path() + "' needs 'pools' (or 'nodes') with at least one stage of nodes");
        }
        String health = s.string("health", "tcp");
        try {
            b.health(HealthCheckConfig.parse(health));
        } catch (IllegalArgumentException e) {
            s.problem("health", "bad '" + s.path() + ".health': " + e.getMessage());
        }
        Section t = s.section("timeouts");
        b.connectTimeout(positive(t, "connect", Duration.ofSeconds(5)));
        b.responseTimeout(positive(t, "response", Duration.ofSeconds(60)));
        b.idleTimeout(positive(t, "idle", Duration.ofSeconds(60)));
        t.finish();
        Section l = s.section("limits");
        long body = l.size("body", 0);
        if (body < 0) {
            l.problem("body", "'" + l.path() + ".body' must not be negative");
        } else {
            b.maxBodySize(body);
        }
        b.maxConnections(l.integer("connections", 0, 0, 10_000_000));
        l.finish();
        String stateDir = s.string("state_dir", null);
        if (stateDir != null) {
            b.stateDir(s.file(stateDir));
        }
        b.tombstoneTtl(positive(s, "tombstone_ttl", FilestoreConfig.DEFAULT_TOMBSTONE_TTL));
        Section h = s.section("handoff");
        FilestoreConfig.HandoffSettings hd = FilestoreConfig.HandoffSettings.DEFAULT;
        b.handoff(new FilestoreConfig.HandoffSettings(positive(h, "interval", hd.interval()),
                h.integer("rate", hd.rate(), 1, 1_000_000), h.integer("max_entries", hd.maxEntries(), 1, 1 << 30)));
        h.finish();
        b.force(s.bool("force", false));
        b.backlog(s.integer("backlog", 4096, 1, 1 << 20));
        if (s.node("cache").isPresent()) {
            b.cache(ProxyCache.readConfig(s.section("cache")));
        }
        s.finish();
        if (s.problems().list().size() > before) {
            return null;
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            s.problems().add(s.location(), "service '" + serviceName + "': " + e.getMessage());
            return null;
        }
    }

    private static Duration positive(Section t, String key, Duration def) {
        Duration d = t.duration(key, def);
        if (d == null || d.isZero() || d.isNegative()) {
            t.problem(key, "'" + t.path() + "." + key + "' must be more than 0s");
            return def;
        }
        return d;
    }

    private static StorePool stageZero(Section s, int redundancy, int region) {
        List<String> nodes = nodes(s, "nodes", redundancy, region);
        if (nodes == null) {
            return null;
        }
        TreeMap<Integer, List<String>> stages = new TreeMap<>();
        stages.put(0, nodes);
        return new StorePool(FilestoreConfig.DEFAULT_POOL, stages, 0);
    }

    private static StorePool pool(String host, Section ps, int redundancy, int region) {
        TreeMap<Integer, List<String>> stages = new TreeMap<>();
        Optional<ConfigNode> list = ps.node("stages");
        if (list.isEmpty() || !(list.get() instanceof ConfigNode.ListNode items) || items.items().isEmpty()) {
            ps.problem("stages", "'" + ps.path() + ".stages' must be a list such as [{stage: 0, nodes: [10.0.0.1-3:80]}]");
            ps.finish();
            return null;
        }
        boolean ok = true;
        int i = 0;
        for (ConfigNode item : items.items()) {
            Section st = Section.of(item, ps.path() + ".stages[" + i++ + "]", ps.problems());
            if (!st.has("stage")) {
                st.problem("stage", "'" + st.path() + "' needs 'stage' (its number)");
                ok = false;
                st.finish();
                continue;
            }
            int number = st.integer("stage", 0, 0, 1_000_000);
            List<String> nodes = nodes(st, "nodes", redundancy, region);
            st.finish();
            if (nodes == null) {
                ok = false;
            } else if (stages.put(number, nodes) != null) {
                st.problem("stage", "'" + ps.path() + "' lists stage " + number + " twice");
                ok = false;
            }
        }
        int current = ps.integer("stage", stages.isEmpty() ? 0 : stages.lastKey(), 0, 1_000_000);
        if (ok && !stages.containsKey(current)) {
            ps.problem("stage", "'" + ps.path() + ".stage' is " + current + ", which has no nodes (stages: "
                    + stages.keySet() + ")");
            ok = false;
        }
        ps.finish();
        return ok ? new StorePool(host, stages, current) : null;
    }

    /** A stage's nodes, ranges expanded, checked against region and redundancy; null with a problem when wrong. */
    private static List<String> nodes(Section s, String key, int redundancy, int region) {
        List<String> nodes = new ArrayList<>();
        boolean ok = true;
        for (List<String> expanded : s.list(key, List.<List<String>>of(), NodeRanges::expand)) {
            for (String n : expanded) {
                try {
                    HostPort.parse(n);
                } catch (IllegalArgumentException e) {
                    s.problem(key, "bad '" + s.path() + "." + key + "': " + e.getMessage());
                    ok = false;
                    continue;
                }
                if (nodes.contains(n)) {
                    s.problem(key, "'" + s.path() + "." + key + "' lists " + n + " twice");
                    ok = false;
                }
                nodes.add(n);
            }
        }
        if (nodes.isEmpty()) {
            if (ok) {
                s.problem(key, "'" + s.path() + "." + key + "' needs at least one host:port");
            }
            return null;
        }
        if (nodes.size() > region) {
            s.problem(key, "'" + s.path() + "." + key + "' has " + nodes.size() + " nodes, more than region " + region);
            ok = false;
        }
        if (redundancy > nodes.size()) {
            s.problem(key, "'" + s.path() + "." + key + "' has " + nodes.size() + " node"
                    + (nodes.size() == 1 ? "" : "s") + ", fewer than redundancy " + redundancy);
            ok = false;
        }
        return ok ? StorePool.sorted(nodes) : null;
    }

    /** {@code portico check}: a config that changes the stored layout is reported at the service. */
    @Override
    public List<ConfigException.Problem> checkFiles(String serviceName, FilestoreConfig config, Location where) {
        return checkFiles(serviceName, config, where, ServiceContext.defaultStateDir());
    }

    /** {@code portico check}: the layout file is read from the service's state_dir, else the top-level one. */
    @Override
    public List<ConfigException.Problem> checkFiles(String serviceName, FilestoreConfig config, Location where,
                                                    Path stateDir) {
        Path file = Layout.file(config.stateDir() != null ? config.stateDir() : stateDir, serviceName);
        try {
            Optional<Layout> stored = Layout.read(file);
            if (stored.isEmpty() || config.force()) {
                return List.of();
            }
            return stored.get().changesIn(Layout.of(config)).stream()
                    .map(c -> new ConfigException.Problem(where, "service '" + serviceName + "': " + c
                            + " (the layout is recorded in " + file + "; force: true overrides)"))
                    .toList();
        } catch (IOException e) {
            return List.of(new ConfigException.Problem(where, "service '" + serviceName + "': " + e.getMessage()));
        }
    }

    /** Writes a config back as its section; settings at their default are left out. */
    @Override
    public Optional<Map<String, Object>> toYaml(FilestoreConfig config) {
        return FilestoreConfigYaml.write(config);
    }

    @Override
    public Service create(String serviceName, FilestoreConfig config, ServiceContext context) {
        return new FilestoreService(serviceName, config, context);
    }
}
