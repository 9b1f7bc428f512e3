package dev.portico.dns;

import dev.portico.core.config.Section;
import dev.portico.core.net.Cidr;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads and writes the {@code rrl:} part of a {@code type: dns} section (response rate limiting
 * of UDP answers, on with NSD's defaults when the key is absent):
 *
 * <pre>
 * rrl:
 *   ratelimit: 200                # answers a second per client prefix and kind of answer; 0 turns it off
 *   slip: 2                       # every 2nd limited answer goes out truncated (TC=1); 0 never, 1 always
 *   ipv4_prefix: 24               # IPv4 clients grouped by /24
 *   ipv6_prefix: 64               # IPv6 clients grouped by /64 (0 to 64)
 *   whitelist: [192.0.2.0/24, nxdomain]   # client ranges and kinds of answer limited at whitelist_ratelimit
 *   whitelist_ratelimit: 2000     # 0 leaves the whitelisted unlimited
 *   exempt: [10.0.0.0/8]          # client ranges never limited
 *   size: 1000000                 # buckets (8 bytes each)
 * </pre>
 */
final class RrlSection {

    private RrlSection() {
    }

    /**
     * Reads the {@code rrl} key of a dns section.
     *
     * @return the settings ({@link RrlConfig#DEFAULTS} when the key is absent), or null when it has
     *         problems (they are in the problem list)
     */
    static RrlConfig read(Section dns) {
        if (!dns.has("rrl")) {
            return RrlConfig.DEFAULTS;
        }
        Section s = dns.section("rrl");
        int before = s.problems().list().size();
        RrlConfig.Builder b = RrlConfig.builder()
                .ratelimit(s.integer("ratelimit", RrlConfig.DEFAULT_RATELIMIT, 0, RrlConfig.MAX_RATELIMIT))
                .slip(s.integer("slip", RrlConfig.DEFAULT_SLIP, 0, RrlConfig.MAX_SLIP))
                .ipv4Prefix(s.integer("ipv4_prefix", RrlConfig.DEFAULT_IPV4_PREFIX, 0, 32))
                .ipv6Prefix(s.integer("ipv6_prefix", RrlConfig.DEFAULT_IPV6_PREFIX, 0, 64))
                .whitelistRatelimit(s.integer("whitelist_ratelimit", RrlConfig.DEFAULT_WHITELIST_RATELIMIT, 0,
                        RrlConfig.MAX_RATELIMIT))
                .size(s.integer("size", RrlConfig.DEFAULT_SIZE, 1, RrlConfig.MAX_SIZE));
        readWhitelist(s, b);
        s.list("exempt", List.of(), Cidr::parse).forEach(b::exempt);
        s.finish();
        if (s.problems().list().size() > before) {
            return null;
        }
        return b.build();
    }

    /** Each item a CIDR range or a kind of answer ({@code all} for every kind); a bad item is reported at its line. */
    private static void readWhitelist(Section s, RrlConfig.Builder b) {
        for (List<?> items : s.list("whitelist", List.<List<?>>of(), RrlSection::whitelistItem)) {
            for (Object item : items) {
                if (item instanceof Cidr range) {
                    b.whitelist(range);
                } else {
                    b.whitelist((RrlConfig.Kind) item);
                }
            }
        }
    }

    private static List<?> whitelistItem(String text) {
        String word = text.toLowerCase(Locale.ROOT);
        if (word.equals("all")) {
            return List.of(RrlConfig.Kind.values());
        }
        if (!word.matches("[a-z]+")) {
            return List.of(Cidr.parse(text));
        }
        try {
            return List.of(RrlConfig.Kind.parse(word));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is neither a client range such as 192.0.2.0/24 nor a kind of answer ("
                    + String.join(", ", RrlConfig.Kind.words()) + ", all)");
        }
    }

    /** The settings as the map {@link #read} reads back; defaults are left out. */
    static Map<String, Object> write(RrlConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (c.ratelimit() != RrlConfig.DEFAULT_RATELIMIT) {
            m.put("ratelimit", c.ratelimit());
        }
        if (c.slip() != RrlConfig.DEFAULT_SLIP) {
            m.put("slip", c.slip());
        }
        if (c.ipv4Prefix() != RrlConfig.DEFAULT_IPV4_PREFIX) {
            m.put("ipv4_prefix", c.ipv4Prefix());
        }
        if (c.ipv6Prefix() != RrlConfig.DEFAULT_IPV6_PREFIX) {
            m.put("ipv6_prefix", c.ipv6Prefix());
        }
        List<String> whitelist = new ArrayList<>();
        c.whitelist().forEach(r -> whitelist.add(r.toString()));
        c.whitelistKinds().forEach(k -> whitelist.add(k.toString()));
        if (!whitelist.isEmpty()) {
            m.put("whitelist", whitelist);
        }
        if (c.whitelistRatelimit() != RrlConfig.DEFAULT_WHITELIST_RATELIMIT) {
            m.put("whitelist_ratelimit", c.whitelistRatelimit());
        }
        if (!c.exempt().isEmpty()) {
            m.put("exempt", c.exempt().stream().map(Cidr::toString).toList());
        }
        if (c.size() != RrlConfig.DEFAULT_SIZE) {
            m.put("size", c.size());
        }
        return m;
    }
}
