package dev.portico.dns;

import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.Section;
import dev.portico.core.net.Cidr;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the client-dependent keys of a dynamic record's section:
 *
 * <pre>
 * geo:                       # country ISO or continent code(s) -> addresses
 *   CN: [10.0.2.1]
 *   "US/CA": [10.0.4.1]
 * nets:                      # CIDR -> addresses; the most specific wins, before geo
 *   127.0.0.0/24: [10.0.5.1]
 * nets_file: nets.txt        # "CIDR addr[,addr...]" lines, relative to the config file
 * </pre>
 */
final class ClientVariantsSection {

    private ClientVariantsSection() {
    }

    /**
     * Reads the keys; problems go to the section's list with their places.
     *
     * @param r    the dynamic record's section
     * @param base the directory relative {@code nets_file} paths are resolved against
     * @return the variants ({@link ClientVariants#NONE} when none are set)
     */
    static ClientVariants read(Section r, Path base) {
        ClientVariants.Builder b = ClientVariants.builder();
        Map<String, List<AddressSpec>> geo = new LinkedHashMap<>();
        Section g = r.section("geo");
        for (String key : g.keys()) {
            String path = g.path() + "." + key;
            try {
                String codes = ClientVariants.normalizeCodes(key);
                List<AddressSpec> list = addresses(g.node(key).orElseThrow(), path, g);
                if (!list.isEmpty()) {
                    geo.put(codes, list);
                }
            } catch (IllegalArgumentException e) {
                g.problems().add(g.locate(key), "bad '" + path + "': " + e.getMessage());
            }
        }
        Map<Cidr, List<AddressSpec>> nets = new LinkedHashMap<>();
        Section n = r.section("nets");
        for (String key : n.keys()) {
            String path = n.path() + "." + key;
            try {
                Cidr cidr = Cidr.parse(key);
                List<AddressSpec> list = addresses(n.node(key).orElseThrow(), path, n);
                if (nets.containsKey(cidr)) {
                    throw new IllegalArgumentException(key + " is listed twice");
                }
                if (!list.isEmpty()) {
                    nets.put(cidr, list);
                }
            } catch (IllegalArgumentException e) {
                n.problems().add(n.locate(key), "bad '" + path + "': " + e.getMessage());
            }
        }
        String file = r.string("nets_file", null);
        try {
            return new ClientVariants(geo, nets, file == null || file.isBlank() ? null : base.resolve(file.trim()));
        } catch (IllegalArgumentException e) {
            r.problem("geo", "bad '" + r.path() + ".geo': " + e.getMessage());
            return ClientVariants.NONE;
        }
    }

    /** A list of addresses: each ADDRESS[:PORT] [weight N] or {address, weight, port}. */
    private static List<AddressSpec> addresses(ConfigNode node, String path, Section owner) {
        List<ConfigNode> items = node instanceof ConfigNode.ListNode l ? l.items() : List.of(node);
        List<AddressSpec> out = new ArrayList<>();
        int before = owner.problems().list().size();
        for (int i = 0; i < items.size(); i++) {
            ConfigNode item = items.get(i);
            String at = path + "[" + i + "]";
            if (item instanceof ConfigNode.ScalarNode sc && sc.text() != null) {
                for (String part : sc.text().split(",")) {
                    AddressSpec a = part.isBlank() ? null : parse(part, item, at, owner);
                    if (a != null) {
                        out.add(a);
                    }
                }
            } else if (item instanceof ConfigNode.MapNode) {
                Section a = Section.of(item, at, owner.problems());
                String address = a.requiredString("address");
                int weight = a.integer("weight", 1, AddressSpec.MIN_WEIGHT, AddressSpec.MAX_WEIGHT);
                int port = a.integer("port", 0, 0, 65_535);
                a.finish();
                if (address != null) {
                    try {
                        out.add(new AddressSpec(IpLiteral.parse(address), weight, port));
                    } catch (IllegalArgumentException e) {
                        owner.problems().add(item.location(), "bad '" + at + "': " + e.getMessage());
                    }
                }
            } else {
                owner.problems().add(item.location(), "'" + at + "' must be ADDRESS[:PORT] [weight N] or {address, weight, port}");
            }
        }
        if (out.isEmpty() && owner.problems().list().size() == before) {
            throw new IllegalArgumentException("needs a list of addresses such as [10.0.0.1, 10.0.0.2]");
        }
        return out;
    }

    private static AddressSpec parse(String text, ConfigNode item, String at, Section owner) {
        try {
            return AddressSpec.parse(text);
        } catch (IllegalArgumentException e) {
            owner.problems().add(item.location(), "bad '" + at + "': " + e.getMessage());
            return null;
        }
    }

    /**
     * Adds the keys to a section being written, when set.
     *
     * @param v   the variants
     * @param out the record's section
     */
    static void write(ClientVariants v, Map<String, Object> out) {
        if (!v.geo().isEmpty()) {
            Map<String, Object> geo = new LinkedHashMap<>();
            v.geo().forEach((codes, list) -> geo.put(codes, list.stream().map(AddressSpec::toString).toList()));
            out.put("geo", geo);
        }
        if (!v.nets().isEmpty()) {
            Map<String, Object> nets = new LinkedHashMap<>();
            v.nets().forEach((cidr, list) -> nets.put(cidr.toString(), list.stream().map(AddressSpec::toString).toList()));
            out.put("nets", nets);
        }
        if (v.netsFile() != null) {
            out.put("nets_file", v.netsFile().toString());
        }
    }
}
