package dev.portico.admin.api;

import java.util.List;

/**
 * What the admin API controls: the running services. The admin module knows only this
 * interface; the process that runs the services implements it (the {@code server} module adapts
 * its supervisor and the lb services), and tests give a fake.
 *
 * <p>Every method may throw {@link ControlException} with the kind of failure (bad input,
 * unknown service or host, conflict). Names of hosts are their {@code host:port} addresses.
 */
public interface ControlPlane {

    /** Every running service with its listeners, groups and hosts, in config order. */
    List<Views.Service> services();

    /** One service; {@link ControlException.Kind#NOT_FOUND} when there is none by that name. */
    Views.Service service(String service);

    /** Adds a host to a group; it takes new connections at once. */
    Views.Host addHost(String service, String group, String address, int weight);

    /** Removes a host; refuses ({@link ControlException.Kind#CONFLICT}) the last host of the active group. */
    void removeHost(String service, String group, String host);

    /** Enables, disables or drains a host. */
    Views.Host hostState(String service, String group, String host, HostAction action);

    /** Changes a host's weight. */
    Views.Host weight(String service, String group, String host, int weight);

    /** Replaces the service's scheduler; connections already placed stay where they are. */
    Views.Service scheduler(String service, String scheduler);

    /** Sends new connections to another group. */
    Views.Service switchGroup(String service, String group);

    /**
     * Opens one more listener.
     *
     * @return the address actually bound, as {@code host:port}
     */
    String openListener(String service, String address);

    /** Closes a listener; refuses ({@link ControlException.Kind#CONFLICT}) the last one. */
    void closeListener(String service, String address);

    /** Writes the running config back to its file if it differs. */
    Views.Saved save();

    /**
     * The dynamic records of a {@code dns} service with their addresses' health, in config order.
     * {@link ControlException.Kind#BAD_REQUEST} for services of other types (the default).
     */
    default List<Views.DnsRecord> records(String service) {
        service(service);
        throw ControlException.badRequest("service '" + service + "' has no dynamic DNS records");
    }

    /**
     * Forces an address of a dynamic record up or down, or hands it back to its checks.
     * {@link ControlException.Kind#NOT_FOUND} for an unknown record or address.
     *
     * @param record  the record's name (any case, trailing dot optional)
     * @param address the IP the record answers
     * @return the address after the change
     */
    default Views.RecordAddress forceAddress(String service, String record, String address, ForceAction action) {
        service(service);
        throw ControlException.badRequest("service '" + service + "' has no dynamic DNS records");
    }

    /**
     * The response cache of a caching proxy: entries and bytes per tier, counters and bans.
     * {@link ControlException.Kind#NOT_FOUND} when the service has no cache.
     */
    default Views.Cache cache(String service) {
        throw noCache(service);
    }

    /**
     * Removes stored responses at once, every variant, from every tier: one URL ({@code key},
     * such as {@code http://example.com/a?b}) or every URL starting with {@code prefix}.
     * Exactly one of them is given.
     */
    default Views.Purged purge(String service, String key, String prefix) {
        throw noCache(service);
    }

    /**
     * Bans stored responses lazily: those stored until now whose URL starts with {@code prefix}
     * (or in which {@code regex} is found) are misses from now on. Exactly one of them is given.
     */
    default Views.Banned ban(String service, String prefix, String regex) {
        throw noCache(service);
    }

    /**
     * A file store router's nodes and counters. {@link ControlException.Kind#BAD_REQUEST} for
     * services of other types (the default).
     */
    default Views.Filestore filestore(String service) {
        Views.Service s = service(service);
        throw ControlException.badRequest("service '" + service + "' is a " + s.type()
                + " service, not a file store");
    }

    /**
     * Starts {@code fs repair} of a file store in the background, at the default rate; an
     * unfinished plan is continued. Its progress shows in {@link #filestore(String)}.
     * {@link ControlException.Kind#CONFLICT} when one runs already,
     * {@link ControlException.Kind#BAD_REQUEST} for services of other types (the default).
     */
    default Views.FsRepair repair(String service) {
        filestore(service);
        throw ControlException.badRequest("this control plane cannot start a repair of '" + service + "'");
    }

    /**
     * A tunnel service's sessions with their state and statistics.
     * {@link ControlException.Kind#BAD_REQUEST} for services of other types (the default).
     */
    default Views.Tunnel tunnel(String service) {
        throw notTunnel(service);
    }

    /**
     * Drops a tunnel session's connection so that its client dials again.
     * {@link ControlException.Kind#NOT_FOUND} for an unknown session,
     * {@link ControlException.Kind#CONFLICT} when it is not up.
     */
    default Views.Reconnected reconnect(String service, String session) {
        throw notTunnel(service);
    }

    private ControlException notTunnel(String service) {
        Views.Service s = service(service);
        return ControlException.badRequest("service '" + service + "' is a " + s.type() + " service, not a tunnel");
    }

    /**
     * The service's rate and errors per sampling interval over the last minutes, oldest first.
     * {@link ControlException.Kind#NOT_FOUND} for an unknown service or when no history is kept.
     */
    default Views.History history(String service) {
        service(service);
        throw ControlException.notFound("no history is kept for service " + service);
    }

    /**
     * Every name whose certificate a service obtains through ACME, per service in config order,
     * then the admin endpoint's own ({@code admin.tls.acme}, listed under the service
     * {@code admin}); empty when nothing has {@code tls.acme} (the default).
     */
    default List<Views.ManagedName> certificates() {
        return List.of();
    }

    /**
     * Starts a renewal of {@code name} in every service that manages it, whatever its schedule; the
     * current certificate keeps serving until the new one is stored.
     * {@link ControlException.Kind#NOT_FOUND} when no service manages the name (the default).
     *
     * @return the name's status in each of those services, with {@code renewing} set
     */
    default List<Views.ManagedName> renewCertificate(String name) {
        throw ControlException.notFound("no service manages a certificate for " + name);
    }

    /** NOT_FOUND for an unknown service (from {@link #service}) or one without a cache. */
    private ControlException noCache(String service) {
        service(service);
        return ControlException.notFound("service " + service + " has no cache");
    }

    /** What can be done to a host's admin state. */
    enum HostAction {
        /** Takes new connections. */
        ENABLE,
        /** Takes no new connections; open ones are left alone. */
        DISABLE,
        /** Takes no new connections; open ones finish or time out. */
        DRAIN
    }

    /** What an operator can do to an address of a dynamic DNS record. */
    enum ForceAction {
        /** Answered even while its checks fail. */
        FORCE_UP("force-up"),
        /** Never answered, whatever its checks say. */
        FORCE_DOWN("force-down"),
        /** Its checks decide again. */
        RELEASE("release");

        private final String word;

        ForceAction(String word) {
            this.word = word;
        }

        /** The action's name in URLs and console commands, such as {@code force-up}. */
        public String word() {
            return word;
        }
    }
}
