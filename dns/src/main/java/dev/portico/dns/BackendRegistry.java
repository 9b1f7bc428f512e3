package dev.portico.dns;

import dev.portico.core.net.HostPort;
import dev.portico.upstream.Backend;
import dev.portico.upstream.Pool;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The health-checked backends of one dynamic record, one per checked address (IP and check
 * port), shared by every address set that lists the address, so each address is checked once
 * however many sets name it. Backends join the record's pool (and so its health checker) when an
 * address first appears, and leave it when a ranges file reload drops the last set naming them.
 */
final class BackendRegistry {

    private final Pool pool;
    private final int defaultPort;
    private final Map<HostPort, Backend> byAddress = new LinkedHashMap<>();

    /**
     * @param pool        the record's pool
     * @param defaultPort the port checked for addresses that name none
     */
    BackendRegistry(Pool pool, int defaultPort) {
        this.pool = pool;
        this.defaultPort = defaultPort;
    }

    /** The address set of {@code addresses}, adding backends for addresses not checked yet. */
    synchronized AddressGroup group(List<AddressSpec> addresses) {
        List<AddressGroup.Member> members = new ArrayList<>(addresses.size());
        for (AddressSpec a : addresses) {
            members.add(new AddressGroup.Member(backend(a), a));
        }
        return new AddressGroup(pool, members);
    }

    /**
     * Removes the backends that none of {@code groups} uses any more.
     *
     * @param groups every address set of the record still in use
     */
    synchronized void retain(Collection<AddressGroup> groups) {
        Set<Backend> used = Collections.newSetFromMap(new IdentityHashMap<>());
        for (AddressGroup g : groups) {
            for (AddressGroup.Member m : g.members()) {
                used.add(m.backend());
            }
        }
        byAddress.values().removeIf(b -> {
            if (used.contains(b)) {
                return false;
            }
            pool.remove(b);
            return true;
        });
    }

    private Backend backend(AddressSpec a) {
        int port = a.checkPort() != 0 ? a.checkPort() : defaultPort;
        HostPort key = new HostPort(a.address().getHostAddress(), port);
        Backend b = byAddress.get(key);
        if (b == null) {
            b = Backend.builder(key).weight(a.weight()).build();
            byAddress.put(key, b);
            pool.add(b);
        }
        return b;
    }
}
