package dev.portico.dns;

import dev.portico.core.config.Durations;
import dev.portico.core.config.Section;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the {@code lrrr:} part of a {@code type: dns} section:
 *
 * <pre>
 * lrrr:
 *   side: left                    # which side this server is: left | right
 *   left: l.example.test          # zone only the left-side server answers
 *   right: r.example.test         # zone only the right-side server answers
 *   suffix: i.example.test        # public zone, answered by both
 *   names: [ga.i.example.test]    # public names sent to ga.l... or ga.r..., whichever is nearer
 *   prefix: lr                    # first part of measuring labels
 *   rtt_ttl: 1h                   # how long a resolver's measured round trips are kept
 *   answer_ttl: 60                # TTL of the public name's CNAME once both are known
 *   max_resolvers: 100000         # resolvers remembered at once
 * </pre>
 */
final class LrrrSection {

    private LrrrSection() {
    }

    /**
     * Reads the {@code lrrr} key of a dns section.
     *
     * @return the settings, or null when the key is absent or has problems (they are in the problem list)
     */
    static LrrrConfig read(Section dns) {
        if (!dns.has("lrrr")) {
            return null;
        }
        Section s = dns.section("lrrr");
        int before = s.problems().list().size();
        String side = s.oneOf("side", null, List.of("left", "right"));
        String left = s.requiredString("left");
        String right = s.requiredString("right");
        String suffix = s.requiredString("suffix");
        if (!s.has("names")) {
            s.problem("names", "'" + s.path() + "' needs 'names', the public names sent to the nearer side");
        }
        List<String> names = s.strings("names", List.of());
        String prefix = s.string("prefix", LrrrConfig.DEFAULT_PREFIX);
        var rttTtl = s.duration("rtt_ttl", LrrrConfig.DEFAULT_RTT_TTL);
        int answerTtl = s.integer("answer_ttl", (int) LrrrConfig.DEFAULT_ANSWER_TTL, 0, Integer.MAX_VALUE);
        int maxResolvers = s.integer("max_resolvers", LrrrConfig.DEFAULT_MAX_RESOLVERS, 1, Integer.MAX_VALUE);
        if (side == null && s.problems().list().size() == before) {
            s.problem("side", "'" + s.path() + "' needs 'side: left' or 'side: right' (which side this server is)");
        }
        s.finish();
        if (s.problems().list().size() > before) {
            return null;
        }
        try {
            LrrrConfig.Builder b = LrrrConfig.builder(LrrrConfig.Side.parse(side), left, right, suffix).prefix(prefix)
                    .rttTtl(rttTtl).answerTtl(answerTtl).maxResolvers(maxResolvers);
            names.forEach(b::name);
            return b.build();
        } catch (IllegalArgumentException e) {
            s.problems().add(s.location(), "bad '" + s.path() + "': " + e.getMessage());
            return null;
        }
    }

    /** The settings as the map {@link #read} reads back; defaults are left out. */
    static Map<String, Object> write(LrrrConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("side", c.side().toString());
        m.put("left", c.left());
        m.put("right", c.right());
        m.put("suffix", c.suffix());
        m.put("names", c.names());
        if (!c.prefix().equals(LrrrConfig.DEFAULT_PREFIX)) {
            m.put("prefix", c.prefix());
        }
        if (!c.rttTtl().equals(LrrrConfig.DEFAULT_RTT_TTL)) {
            m.put("rtt_ttl", Durations.format(c.rttTtl()));
        }
        if (c.answerTtl() != LrrrConfig.DEFAULT_ANSWER_TTL) {
            m.put("answer_ttl", c.answerTtl());
        }
        if (c.maxResolvers() != LrrrConfig.DEFAULT_MAX_RESOLVERS) {
            m.put("max_resolvers", c.maxResolvers());
        }
        return m;
    }
}
