package dev.portico.dns;

import dev.portico.core.net.Cidr;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Picks the address set of one level of a dynamic record for a client, following its
 * {@link ClientVariants}: the most specific range (inline or from the ranges file) containing the
 * client's address, else the geo variant of its country, else of its continent, else none (the
 * record's default addresses). Each choice records in the {@link ClientInfo} the prefix length it
 * depended on, which becomes the answer's Client Subnet scope.
 */
final class VariantChooser implements AutoCloseable {

    /** The continent codes of MaxMind databases; a geo key with one of these means the continent. */
    static final Set<String> CONTINENTS = Set.of("AF", "AN", "AS", "EU", "NA", "OC", "SA");

    private final BackendRegistry registry;
    private final AddressGroup defaults;
    private final Map<Cidr, AddressGroup> inlineNets = new LinkedHashMap<>();
    private final Map<String, AddressGroup> byCountry = new HashMap<>();
    private final Map<String, AddressGroup> byContinent = new HashMap<>();
    private final List<AddressGroup> geoGroups = new ArrayList<>();
    private final GeoIpDb geo;
    private final NetsFileWatcher watcher;
    private volatile PrefixMap<AddressGroup> nets;

    /**
     * @param name     the record's name, for logs
     * @param variants the record's variants
     * @param registry the record's shared backends
     * @param defaults the record's default address set
     * @param context  the GeoIP database and the ranges-file poller
     */
    VariantChooser(String name, ClientVariants variants, BackendRegistry registry, AddressGroup defaults,
                   VariantContext context) {
        this.registry = registry;
        this.defaults = defaults;
        variants.nets().forEach((cidr, addresses) -> inlineNets.put(cidr, registry.group(addresses)));
        variants.geo().forEach((codes, addresses) -> {
            AddressGroup g = registry.group(addresses);
            geoGroups.add(g);
            for (String code : codes.split("/")) {
                (CONTINENTS.contains(code) ? byContinent : byCountry).put(code, g);
            }
        });
        this.geo = geoGroups.isEmpty() ? null : context.geo();
        this.nets = PrefixMap.of(inlineNets);
        if (variants.netsFile() != null) {
            watcher = new NetsFileWatcher(variants.netsFile(), name, this::useFileNets, context);
            watcher.check();
        } else {
            watcher = null;
        }
    }

    /**
     * The address set for a client.
     *
     * @param client the client; its scope is widened to what the choice depended on
     * @return a variant's address set, or null for the record's default addresses
     */
    AddressGroup choose(ClientInfo client) {
        InetAddress address = client.address();
        if (address == null) {
            return null;
        }
        PrefixMap.Match<AddressGroup> range = nets.lookup(address);
        if (range.value() != null || geo == null) {
            client.dependsOn(range.scope());
            return range.value();
        }
        GeoIpDb.Location where = geo.lookup(address);
        client.dependsOn(Math.max(range.scope(), where.prefix()));
        AddressGroup g = where.country() != null ? byCountry.get(where.country()) : null;
        if (g == null && where.continent() != null) {
            g = byContinent.get(where.continent());
        }
        return g;
    }

    /** Puts a newly read ranges file in force (inline ranges win for the same CIDR). */
    private void useFileNets(Map<Cidr, List<AddressSpec>> fileNets) {
        Map<Cidr, AddressGroup> merged = new LinkedHashMap<>();
        fileNets.forEach((cidr, addresses) -> merged.put(cidr, registry.group(addresses)));
        merged.putAll(inlineNets);
        nets = PrefixMap.of(merged);
        List<AddressGroup> inUse = new ArrayList<>(merged.values());
        inUse.add(defaults);
        inUse.addAll(geoGroups);
        registry.retain(inUse);
    }

    void start() {
        if (watcher != null) {
            watcher.start();
        }
    }

    @Override
    public void close() {
        if (watcher != null) {
            watcher.close();
        }
    }
}
