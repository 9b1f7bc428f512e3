package dev.portico.admin.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An in-memory control plane with one balancing service, for testing the HTTP side alone. */
final class FakeControlPlane implements ControlPlane {

    private final Map<String, List<Views.Host>> groups = new LinkedHashMap<>();
    private final List<String> listeners = new ArrayList<>(List.of("127.0.0.1:8000"));
    private String active = "main";
    private String scheduler = "roundrobin";
    int saves;

    FakeControlPlane() {
        groups.put("main", new ArrayList<>(List.of(host("127.0.0.1:9001", 1, "enabled"))));
        groups.put("standby", new ArrayList<>(List.of(host("127.0.0.1:9101", 1, "enabled"))));
    }

    private static Views.Host host(String address, int weight, String admin) {
        return new Views.Host(address, address, weight, admin, "up", 0, 0, 0, 0, 0, 0, 0.0, null, null, null);
    }

    /** The one name the fake's web service manages through ACME. */
    static final String MANAGED = "www.portico.test";
    int renewals;

    @Override
    public synchronized List<Views.ManagedName> certificates() {
        return List.of(managed(false));
    }

    @Override
    public synchronized List<Views.ManagedName> renewCertificate(String name) {
        if (!name.equals(MANAGED)) {
            throw ControlException.notFound("no service manages a certificate for " + name);
        }
        renewals++;
        return List.of(managed(true));
    }

    private Views.ManagedName managed(boolean renewing) {
        return new Views.ManagedName("site", MANAGED, "2027-03-01T00:00:00Z", "1f", "2026-12-01T00:00:00Z",
                renewing ? null : "urn:ietf:params:acme:error:connection: refused", renewing ? null : "2026-12-02T00:00:00Z",
                "2027-01-30T00:00:00Z", renewing ? 0 : 1, renewing);
    }

    @Override
    public synchronized List<Views.Service> services() {
        return List.of(service("front"), new Views.Service("site", "web", List.of("127.0.0.1:8080"),
                List.of("http://127.0.0.1:8080/"), null, null, null, List.of()));
    }

    /** A file store "files", shown by name only (not in the service list the other tests count). */
    @Override
    public Views.Filestore filestore(String service) {
        if (!service.equals("files")) {
            return ControlPlane.super.filestore(service);
        }
        return new Views.Filestore("files", 10, 4, 2.5, 1.0, 1, 0, 2, List.of(new Views.FsNode("127.0.0.1:9001", "up",
                "check passed", 0.75, 1, 9, 0, 4096, 8192, null)), new Views.FsHandoff(3, 1, null),
                new Views.FsCheck("2025-01-02T03:04:05Z", 1, 7, 12, Map.of("missing", 2), false),
                repairing ? new Views.FsRepair("2025-01-02T03:05:00Z", "2025-01-02T03:05:01Z", 0, 2, 0, 0, 0, false, true)
                        : null);
    }

    /** Whether {@link #repair(String)} started one. */
    boolean repairing;

    @Override
    public Views.FsRepair repair(String service) {
        filestore(service);
        if (repairing) {
            throw ControlException.conflict("a repair of '" + service + "' is running already");
        }
        repairing = true;
        return filestore(service).repair();
    }

    /** Sessions dropped through {@link #reconnect}. */
    final List<String> reconnected = new ArrayList<>();

    /** A tunnel "warp", shown by name only: session "hub" up with route metrics, "spare" down. */
    @Override
    public Views.Tunnel tunnel(String service) {
        if (!service.equals("warp")) {
            return ControlPlane.super.tunnel(service);
        }
        return new Views.Tunnel("warp", List.of(
                new Views.TunnelSession("hub", "up", "client", "10.0.0.1:9000", "hub", null, "reliable", 51.5, 120000.0,
                        3.0, 4096, 8192, 100.0, 200.0, 2, java.util.Map.of("10.77.0.0/16", 515), List.of("10.77.0.0/16")),
                new Views.TunnelSession("spare", "down", "client", null, null, null, "datagram", null, null, null, 0, 0,
                        0, 0, 0, java.util.Map.of(), List.of())));
    }

    @Override
    public synchronized Views.Reconnected reconnect(String service, String session) {
        Views.Tunnel t = tunnel(service);
        Views.TunnelSession s = t.sessions().stream().filter(x -> x.name().equals(session)).findFirst()
                .orElseThrow(() -> ControlException.notFound("tunnel '" + service + "' has no session '" + session + "'"));
        if (!s.state().equals("up")) {
            throw ControlException.conflict("session '" + session + "' of tunnel '" + service + "' is not up");
        }
        reconnected.add(session);
        return new Views.Reconnected(service, session);
    }

    @Override
    public synchronized Views.Service service(String service) {
        if (service.equals("warp")) {
            return new Views.Service("warp", "tunnel", List.of(), List.of("quic://0.0.0.0:9000"), null, null, null,
                    List.of());
        }
        if (service.equals("files")) {
            return new Views.Service("files", "filestore", List.of("127.0.0.1:8090"), List.of("http://127.0.0.1:8090"),
                    null, null, null, List.of());
        }
        if (!service.equals("front")) {
            throw ControlException.notFound("no service " + service);
        }
        List<Views.Group> g = new ArrayList<>();
        groups.forEach((name, hosts) -> g.add(new Views.Group(name, name.equals(active), hosts)));
        return new Views.Service("front", "lb", listeners, listeners, scheduler, active, 0L, g);
    }

    private List<Views.Host> group(String service, String group) {
        service(service);
        List<Views.Host> hosts = groups.get(group);
        if (hosts == null) {
            throw ControlException.notFound("no group " + group);
        }
        return hosts;
    }

    private int index(List<Views.Host> hosts, String host) {
        for (int i = 0; i < hosts.size(); i++) {
            if (hosts.get(i).name().equals(host)) {
                return i;
            }
        }
        throw ControlException.notFound("no host " + host);
    }

    @Override
    public synchronized Views.Host addHost(String service, String group, String address, int weight) {
        if (!address.matches("[^:]+:\\d+")) {
            throw ControlException.badRequest("'" + address + "' is not HOST:PORT");
        }
        Views.Host h = host(address, weight, "enabled");
        group(service, group).add(h);
        return h;
    }

    @Override
    public synchronized void removeHost(String service, String group, String host) {
        List<Views.Host> hosts = group(service, group);
        int i = index(hosts, host);
        if (group.equals(active) && hosts.size() == 1) {
            throw ControlException.conflict("cannot remove " + host + ": it is the last host of the active group");
        }
        hosts.remove(i);
    }

    @Override
    public synchronized Views.Host hostState(String service, String group, String host, HostAction action) {
        List<Views.Host> hosts = group(service, group);
        int i = index(hosts, host);
        Views.Host h = hosts.get(i);
        String admin = switch (action) {
            case ENABLE -> "enabled";
            case DISABLE -> "disabled";
            case DRAIN -> "draining";
        };
        hosts.set(i, host(h.address(), h.weight(), admin));
        return hosts.get(i);
    }

    @Override
    public synchronized Views.Host weight(String service, String group, String host, int weight) {
        if (weight < 1) {
            throw new IllegalArgumentException("weight " + weight + " is out of range");
        }
        List<Views.Host> hosts = group(service, group);
        int i = index(hosts, host);
        hosts.set(i, host(host, weight, hosts.get(i).admin()));
        return hosts.get(i);
    }

    @Override
    public synchronized Views.Service scheduler(String service, String name) {
        service(service);
        scheduler = name;
        return service(service);
    }

    @Override
    public synchronized Views.Service switchGroup(String service, String group) {
        group(service, group);
        active = group;
        return service(service);
    }

    @Override
    public synchronized String openListener(String service, String address) {
        service(service);
        listeners.add(address);
        return address;
    }

    @Override
    public synchronized void closeListener(String service, String address) {
        service(service);
        if (!listeners.contains(address)) {
            throw ControlException.notFound("not listening on " + address);
        }
        if (listeners.size() == 1) {
            throw new IllegalStateException("cannot close the last listener");
        }
        listeners.remove(address);
    }

    @Override
    public synchronized Views.Saved save() {
        saves++;
        return new Views.Saved(true, "/etc/portico.yaml", "/etc/portico.yaml.20250101-000000");
    }
}
