package dev.portico.admin.ssh;

import dev.portico.admin.api.ControlException;
import dev.portico.admin.api.ControlPlane;
import dev.portico.admin.api.Views;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** An in-memory control plane with one balanced service, for console tests. */
final class FakePlane implements ControlPlane {

    record H(String address, int weight, String admin) {
    }

    final Map<String, List<H>> groups = new LinkedHashMap<>();
    String active = "main";
    String scheduler = "roundrobin";
    final List<String> listeners = new ArrayList<>(List.of("127.0.0.1:8000"));
    int saves;
    /** With a caching proxy named "edge" next to "shop". */
    boolean withProxy;
    final List<String> purged = new ArrayList<>();
    final List<String> bans = new ArrayList<>();
    /** With a file store named "files" next to "shop". */
    boolean withStore;
    boolean withTunnel;
    final List<String> reconnected = new ArrayList<>();

    FakePlane() {
        groups.put("main", new ArrayList<>(List.of(new H("127.0.0.1:9001", 1, "enabled"), new H("127.0.0.1:9002", 1, "enabled"))));
        groups.put("spare", new ArrayList<>(List.of(new H("127.0.0.1:9101", 1, "enabled"))));
    }

    @Override
    public List<Views.Service> services() {
        List<Views.Service> all = new ArrayList<>(List.of(service("shop")));
        if (withProxy) {
            all.add(service("edge"));
        }
        if (withStore) {
            all.add(service("files"));
        }
        if (withTunnel) {
            all.add(service("warp"));
        }
        return all;
    }

    @Override
    public Views.Service service(String service) {
        if (withProxy && service.equals("edge")) {
            return new Views.Service("edge", "proxy", List.of("127.0.0.1:8080"), List.of("http://127.0.0.1:8080"),
                    "roundrobin", "*", 0L, List.of());
        }
        if (withTunnel && service.equals("warp")) {
            return new Views.Service("warp", "tunnel", List.of(), List.of("quic://0.0.0.0:9000"), null, null, null,
                    List.of());
        }
        if (withStore && service.equals("files")) {
            return new Views.Service("files", "filestore", List.of("127.0.0.1:8090"), List.of("http://127.0.0.1:8090"),
                    null, null, null, List.of());
        }
        if (!service.equals("shop")) {
            throw ControlException.notFound("no service " + service);
        }
        List<Views.Group> gs = new ArrayList<>();
        groups.forEach((name, hosts) -> gs.add(new Views.Group(name, name.equals(active),
                hosts.stream().map(FakePlane::view).toList())));
        return new Views.Service("shop", "lb", listeners, List.of("tcp://127.0.0.1:8000"), scheduler, active, 0L, gs);
    }

    private static Views.Host view(H h) {
        return new Views.Host(h.address(), h.address(), h.weight(), h.admin(), "up", 0, 0, 0, 0, 0, 0, 0, null, null, null);
    }

    private List<H> group(String service, String group) {
        service(service);
        List<H> g = groups.get(group);
        if (g == null) {
            throw ControlException.notFound("no group " + group);
        }
        return g;
    }

    private int index(List<H> g, String host) {
        for (int i = 0; i < g.size(); i++) {
            if (g.get(i).address().equals(host)) {
                return i;
            }
        }
        throw ControlException.notFound("no host " + host);
    }

    @Override
    public Views.Host addHost(String service, String group, String address, int weight) {
        H h = new H(address, weight, "enabled");
        group(service, group).add(h);
        return view(h);
    }

    @Override
    public void removeHost(String service, String group, String host) {
        List<H> g = group(service, group);
        int i = index(g, host);
        if (g.size() == 1 && group.equals(active)) {
            throw ControlException.conflict("refusing to remove the last host of the active group");
        }
        g.remove(i);
    }

    @Override
    public Views.Host hostState(String service, String group, String host, HostAction action) {
        List<H> g = group(service, group);
        int i = index(g, host);
        String state = switch (action) {
            case ENABLE -> "enabled";
            case DISABLE -> "disabled";
            case DRAIN -> "draining";
        };
        H h = new H(host, g.get(i).weight(), state);
        g.set(i, h);
        return view(h);
    }

    @Override
    public Views.Host weight(String service, String group, String host, int weight) {
        List<H> g = group(service, group);
        int i = index(g, host);
        H h = new H(host, weight, g.get(i).admin());
        g.set(i, h);
        return view(h);
    }

    @Override
    public Views.Service scheduler(String service, String name) {
        scheduler = name.toLowerCase(Locale.ROOT);
        return service(service);
    }

    @Override
    public Views.Service switchGroup(String service, String group) {
        group(service, group);
        active = group;
        return service(service);
    }

    @Override
    public String openListener(String service, String address) {
        listeners.add(address);
        return address;
    }

    @Override
    public void closeListener(String service, String address) {
        if (!listeners.remove(address)) {
            throw ControlException.notFound("not listening on " + address);
        }
    }

    @Override
    public Views.Cache cache(String service) {
        if (!withProxy || !service.equals("edge")) {
            return ControlPlane.super.cache(service);
        }
        return new Views.Cache("edge", new Views.CacheTier(3, 3 * 1536, 64L << 20), null, 6, 2, 1, 1, 4,
                bans.stream().map(b -> "prefix:" + b).toList());
    }

    @Override
    public Views.Tunnel tunnel(String service) {
        if (!withTunnel || !service.equals("warp")) {
            return ControlPlane.super.tunnel(service);
        }
        return new Views.Tunnel("warp", List.of(
                new Views.TunnelSession("hub", "up", "client", "10.0.0.1:9000", "hub", null, "reliable", 51.5, 122880.0,
                        3.0, 5 << 20, 3 << 20, 2048, 1024, 2, java.util.Map.of("10.77.0.0/16", 515),
                        List.of("10.77.0.0/16")),
                new Views.TunnelSession("far", "up", "server", "10.0.0.9:41000", null, "hub2", "datagram", 150.0, null,
                        null, 0, 0, 0, 0, 1, java.util.Map.of(), List.of()),
                new Views.TunnelSession("spare", "down", "client", null, null, null, "datagram", null, null, null, 0, 0,
                        0, 0, 0, java.util.Map.of(), List.of())));
    }

    @Override
    public Views.Reconnected reconnect(String service, String session) {
        Views.TunnelSession s = tunnel(service).sessions().stream().filter(x -> x.name().equals(session)).findFirst()
                .orElseThrow(() -> ControlException.notFound("tunnel '" + service + "' has no session '" + session + "'"));
        if (!s.state().equals("up")) {
            throw ControlException.conflict("session '" + session + "' of tunnel '" + service + "' is not up");
        }
        reconnected.add(session);
        return new Views.Reconnected(service, session);
    }

    @Override
    public Views.Filestore filestore(String service) {
        if (!withStore || !service.equals("files")) {
            return ControlPlane.super.filestore(service);
        }
        return new Views.Filestore("files", 120, 30, 12.5, 3.25, 2, 1, 4, List.of(
                new Views.FsNode("127.0.0.1:9001", "up", null, 1.25, 2, 40, 0, 5 << 20, 3 << 20, null),
                new Views.FsNode("127.0.0.1:9002", "down", "connect failed: refused", null, 0, 12, 3, 0, 1024,
                        new Views.Failure("2025-01-02T03:04:05Z", "connect failed: refused"))),
                new Views.FsHandoff(5, 2, null),
                new Views.FsCheck("2025-01-02T03:04:05Z", 2, 40, 78, Map.of("missing", 2, "differing", 1), false),
                repairs == 0 ? null : new Views.FsRepair("2025-01-02T03:06:00Z", "2025-01-02T03:06:02Z", 1, 3, 1, 0, 0,
                        false, true));
    }

    /** Repairs started with {@link #repair(String)}. */
    int repairs;

    @Override
    public Views.FsRepair repair(String service) {
        filestore(service);
        if (repairs > 0) {
            throw ControlException.conflict("a repair of '" + service + "' is running already");
        }
        repairs++;
        return filestore(service).repair();
    }

    @Override
    public Views.Purged purge(String service, String key, String prefix) {
        cache(service);
        purged.add(key != null ? "key " + key : "prefix " + prefix);
        return new Views.Purged(service, key, prefix, key != null ? (key.endsWith("/gone") ? 0 : 1) : 2);
    }

    @Override
    public Views.Banned ban(String service, String prefix, String regex) {
        cache(service);
        bans.add(prefix);
        return new Views.Banned(service, "prefix:" + prefix, "2025-01-02T03:04:05Z");
    }

    @Override
    public Views.Saved save() {
        saves++;
        return new Views.Saved(true, "/etc/portico.yaml", "/etc/portico.yaml.bak");
    }
}
