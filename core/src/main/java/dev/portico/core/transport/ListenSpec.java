package dev.portico.core.transport;

import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.net.HostPort;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One {@code listen} entry: an address, whether it speaks TLS, and its HTTP/2 mode. Written in a
 * config file either as a string ({@code 127.0.0.1:8080}: plain, HTTP/2 off) or as a mapping
 * {@code {address: 0.0.0.0:443, tls: on, http2: on}}.
 *
 * @param address where to listen
 * @param tls     true for TLS (the service's {@code tls:} section must then be present)
 * @param http2   the HTTP/2 mode
 */
public record ListenSpec(HostPort address, boolean tls, Http2 http2) {

    /** HTTP/2 on a listener. */
    public enum Http2 {
        /** HTTP/1.x only. */
        OFF,
        /** Offered through ALPN on a TLS listener. */
        ON,
        /** Cleartext HTTP/2 with prior knowledge on a plain listener. */
        H2C
    }

    public ListenSpec {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(http2, "http2");
    }

    /** A plain HTTP/1.x listener. */
    public static ListenSpec plain(HostPort address) {
        return new ListenSpec(address, false, Http2.OFF);
    }

    /** A TLS listener with HTTP/2 offered through ALPN. */
    public static ListenSpec tls(HostPort address) {
        return new ListenSpec(address, true, Http2.ON);
    }

    /**
     * Reads {@code key} of {@code s}: a string, a mapping or a list of either.
     *
     * @param tlsDefault what {@code tls} is when an entry does not say (a string entry is plain
     *                   unless this is true)
     */
    public static List<ListenSpec> read(Section s, String key, List<ListenSpec> def, boolean tlsDefault) {
        var node = s.node(key);
        if (node.isEmpty() || node.get() instanceof ConfigNode.ScalarNode sc && sc.text() == null) {
            return def;
        }
        List<ConfigNode> items = node.get() instanceof ConfigNode.ListNode l ? l.items() : List.of(node.get());
        List<ListenSpec> out = new ArrayList<>();
        Problems problems = s.problems();
        for (int i = 0; i < items.size(); i++) {
            ConfigNode item = items.get(i);
            String where = s.path() + "." + key;
            if (item instanceof ConfigNode.ScalarNode sc && sc.text() != null) {
                for (String part : sc.text().split(",")) {
                    if (part.isBlank()) {
                        continue;
                    }
                    try {
                        HostPort hp = HostPort.parse(part.trim());
                        add(out, new ListenSpec(hp, tlsDefault, tlsDefault ? Http2.ON : Http2.OFF), problems,
                                item.location(), where);
                    } catch (IllegalArgumentException e) {
                        problems.add(item.location(), "bad '" + where + "': " + e.getMessage());
                    }
                }
            } else if (item instanceof ConfigNode.MapNode) {
                Section m = Section.of(item, where + "[" + i + "]", problems);
                String address = m.requiredString("address");
                boolean tls = m.bool("tls", tlsDefault);
                String mode = m.oneOf("http2", tls ? "on" : "off", List.of("on", "off", "h2c"));
                m.finish();
                Http2 h2 = Http2.valueOf(mode.toUpperCase(Locale.ROOT));
                if (h2 == Http2.H2C && tls) {
                    m.problem("http2", "'" + m.path() + ".http2: h2c' is for plain listeners; a TLS listener uses 'on'");
                }
                if (address != null) {
                    try {
                        add(out, new ListenSpec(HostPort.parse(address), tls, h2), problems, item.location(), where);
                    } catch (IllegalArgumentException e) {
                        m.problem("address", "bad '" + m.path() + ".address': " + e.getMessage());
                    }
                }
            } else {
                problems.add(item.location(), "'" + where + "' items must be HOST:PORT or {address, tls, http2}, not "
                        + item.kind());
            }
        }
        return out;
    }

    /**
     * Adds {@code spec} unless its address is already there: one socket cannot be two listeners, and
     * the second would silently vanish (port 0, any free port, may repeat).
     */
    private static void add(List<ListenSpec> out, ListenSpec spec, Problems problems,
                            dev.portico.core.config.Location at, String where) {
        if (spec.address().port() != 0 && out.stream().anyMatch(o -> o.address().equals(spec.address()))) {
            problems.add(at, "'" + where + "' lists " + spec.address() + " twice; each address can be one listener only");
            return;
        }
        out.add(spec);
    }

    /** The ALPN protocols a service's TLS listeners speak together: h2 when any of them has it on. */
    public static List<String> tlsAlpn(List<ListenSpec> listeners) {
        boolean h2 = listeners.stream().anyMatch(l -> l.tls() && l.http2() != Http2.OFF);
        return h2 ? List.of("h2", "http/1.1") : List.of("http/1.1");
    }

    /** True when some TLS listeners offer h2 and others have {@code http2: off}. */
    public static boolean mixedTlsHttp2(List<ListenSpec> listeners) {
        return listeners.stream().anyMatch(l -> l.tls() && l.http2() != Http2.OFF)
                && listeners.stream().anyMatch(l -> l.tls() && l.http2() == Http2.OFF);
    }

    @Override
    public String toString() {
        return address + (tls ? " tls" : "") + (http2 != Http2.OFF ? " http2 " + http2.name().toLowerCase(Locale.ROOT) : "");
    }
}
