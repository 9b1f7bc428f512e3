package dev.portico.server.threexsd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Converts a {@code [3wdd]} section into a {@code type: tunnel} service. {@code mode},
 * {@code dial}, {@code relay} and {@code routing_metric} keep their meaning; every other key is a
 * session line, {@code local:peer:mtu:txqueuelen:token:[encrypt[,compress]][:routes]} on the
 * server side and {@code ...:[encrypt[,compress]]:host:port:routes} on the client side, split as
 * 3wdd split it.
 *
 * <p>What changed is written as comments: QUIC's TLS 1.3 replaces 3wdd's ciphers (whose "aes-128"
 * was AES-256 keyed with the token's md5, and whose CTR mode reused its keystream), LZ4 replaces
 * LZO, the token proof is an HMAC that both ends must run Portico for, and a client pins the
 * server's certificate, which the old file could not say: {@code portico check} asks for it.
 */
final class TunnelSectionConverter {

    /** Keys of the section that are settings, not sessions. */
    static final Set<String> SETTINGS = Set.of("mode", "encrypt", "dial", "io_mode", "relay", "routing_metric");

    /** 3wdd's port for client sessions that give none. */
    static final String DEFAULT_PORT = "9000";

    private final YamlOut out;

    TunnelSectionConverter(YamlOut out) {
        this.out = out;
    }

    /** One session line, split. */
    private record Session(String name, IniFile.Entry entry, String local, String peer, String mtu, String txqueuelen,
                           String token, String encrypt, String compress, String target, List<String> routes,
                           Map<String, String> scripts) {
    }

    /**
     * Writes the service.
     *
     * @param wdd        the [3wdd] section
     * @param listen     the UDP address to listen on (server and hybrid modes)
     * @param listenNote a comment line about the listen address, or null
     */
    void write(IniFile.IniSection wdd, String listen, String listenNote) {
        Map<String, IniFile.Entry> e = new LinkedHashMap<>(wdd.entries());
        out.line("  warp:");
        out.line("    type: tunnel");
        IniFile.Entry modeEntry = e.remove("mode");
        String mode = "server";
        if (modeEntry != null) {
            String m = modeEntry.value().strip().toLowerCase(Locale.ROOT);
            switch (m) {
                case "server", "client", "hybrid" -> mode = m;
                case "hybird" -> {
                    mode = "hybrid";
                    out.line("    # mode = hybird (" + out.where(modeEntry.line()) + "): 3wdd's spelling of hybrid");
                }
                default -> out.note(modeEntry, "not server, client or hybrid; server is written");
            }
        }
        out.line("    mode: " + mode);
        if (!mode.equals("client")) {
            if (listenNote != null) {
                out.line("    # " + listenNote);
            }
            out.line("    listen: [" + YamlText.string(listen) + "]");
        }
        IniFile.Entry encrypt = e.remove("encrypt");
        if (encrypt != null) {
            out.note(encrypt, "replaced by QUIC's TLS 1.3 on every session; there is nothing to choose");
        }
        IniFile.Entry ioMode = e.remove("io_mode");
        if (ioMode != null) {
            out.note(ioMode, "not needed: sessions share the event loops, one per core");
        }
        IniFile.Entry dial = e.remove("dial");
        IniFile.Entry relay = e.remove("relay");
        IniFile.Entry metric = e.remove("routing_metric");
        List<Session> sessions = new ArrayList<>();
        for (IniFile.Entry entry : e.values()) {
            Session s = session(entry);
            if (s != null) {
                sessions.add(s);
            }
        }
        Set<String> names = new java.util.HashSet<>();
        sessions.forEach(s -> names.add(s.name()));
        if (dial != null) {
            if (mode.equals("server")) {
                out.note(dial, "mode server dials nobody; use mode hybrid to dial as well");
            } else {
                List<String> known = new ArrayList<>();
                for (String d : items(dial.value())) {
                    Session s = sessions.stream().filter(x -> x.name().equals(d)).findFirst().orElse(null);
                    if (s == null || s.target() == null) {
                        out.note(dial, "'" + d + "' is not a client session line here (one with a host); left out");
                    } else {
                        known.add(d);
                    }
                }
                out.line("    dial: " + YamlText.list(known));
            }
        }
        if (relay != null) {
            List<String> pairs = new ArrayList<>();
            Set<String> relayed = new java.util.HashSet<>();
            for (String pair : items(relay.value())) {
                String[] ab = pair.split(":", -1);
                if (ab.length != 2 || ab[0].isBlank() || ab[1].isBlank() || ab[0].equals(ab[1])) {
                    out.note(relay, "'" + pair + "' is not two session names as a:b; left out");
                } else if (!names.contains(ab[0]) || !names.contains(ab[1])) {
                    out.note(relay, "'" + pair + "' names a session that has no line here; left out");
                } else if (relayed.contains(ab[0]) || relayed.contains(ab[1])) {
                    out.note(relay, "'" + pair + "': a session is in one relay at most (3wdd kept the last pair "
                            + "for it); left out");
                } else {
                    relayed.add(ab[0]);
                    relayed.add(ab[1]);
                    pairs.add(ab[0] + ":" + ab[1]);
                }
            }
            if (!pairs.isEmpty()) {
                out.line("    # relayed sessions get no device: their local and peer addresses are not used");
                out.line("    relay: [" + String.join(", ", pairs.stream().map(x -> "\"" + x + "\"").toList()) + "]");
            }
        }
        if (metric != null) {
            boolean on = Set.of("on", "yes", "true", "1").contains(metric.value().strip().toLowerCase(Locale.ROOT));
            out.line("    routing_metric: " + (on ? "on" : "off"));
            if (on) {
                out.line("    metric_interval: 20s  # 3wdd measured every 20 s");
            }
        }
        out.line("    # 3wdd's md5 token check is now an HMAC-SHA256 proof over the session, a server nonce and");
        out.line("    # the client's address: both ends of a session must run Portico.");
        if (sessions.isEmpty()) {
            out.line("    # [3wdd] had no usable session line; add the sessions here.");
            out.line("    sessions: {}");
            return;
        }
        out.line("    sessions:");
        for (Session s : sessions) {
            writeSession(s);
        }
    }

    private void writeSession(Session s) {
        out.line("      " + YamlText.string(s.name()) + ":  # " + out.where(s.entry().line()));
        if (s.name().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 15) {
            out.line("        # the device is named after the session and a device name has at most 15 bytes:");
            out.line("        # 'portico check' asks for a shorter name (3wdd added a worker number to it).");
        }
        out.line("        local: " + YamlText.string(s.local()));
        out.line("        peer: " + YamlText.string(s.peer()));
        out.line("        mtu: " + s.mtu());
        out.line("        txqueuelen: " + s.txqueuelen());
        out.line("        token: " + YamlText.string(s.token()) + "  # or token_file: FILE, kept out of the config");
        if (s.encrypt() != null && !s.encrypt().isEmpty()) {
            out.line("        # encrypt " + YamlText.comment(s.encrypt()) + (s.encrypt().equals("off")
                    ? ": every session is encrypted now, with TLS 1.3" : ": replaced by TLS 1.3"));
        }
        if (s.compress() != null) {
            switch (s.compress()) {
                case "zlib", "compress" -> out.line("        compress: zlib");
                case "lzo" -> {
                    out.line("        # lzo: replaced by LZ4 (faster, and marked in each frame rather than guessed)");
                    out.line("        compress: lz4");
                }
                case "", "off", "none" -> {
                }
                default -> out.line("        # compress " + YamlText.comment(s.compress()) + ": unknown; none is used");
            }
        }
        if (!s.routes().isEmpty()) {
            out.line("        routes: " + YamlText.list(s.routes()));
        }
        s.scripts().forEach((k, v) -> out.line("        " + k + ": " + YamlText.string(v)));
        if (s.target() != null) {
            out.line("        target: " + YamlText.string(s.target()));
            out.line("        # Pin the server's certificate: 'portico tunnel fingerprint -c' on the server prints it.");
            out.line("        # server_fingerprint: SHA256-HEX   (or server_ca: FILE)");
        }
    }

    /** Splits a session line as 3wdd did; notes and returns null when it cannot be used. */
    private Session session(IniFile.Entry entry) {
        String[] f = entry.value().strip().split(":", -1);
        if (f.length < 5) {
            out.note(entry, "a session line needs local:peer:mtu:txqueuelen:token at least; left out");
            return null;
        }
        for (int i = 0; i < 5; i++) {
            if (f[i].isBlank()) {
                out.note(entry, "field " + (i + 1) + " (" + List.of("local", "peer", "mtu", "txqueuelen", "token").get(i)
                        + ") is empty; left out");
                return null;
            }
        }
        String encrypt = null;
        String compress = null;
        if (f.length > 5 && !f[5].isBlank()) {
            String[] ec = f[5].split(",", 2);
            encrypt = ec[0].strip().toLowerCase(Locale.ROOT);
            compress = ec.length > 1 ? ec[1].strip().toLowerCase(Locale.ROOT) : null;
            if (encrypt.equals("zlib") || encrypt.equals("lzo") || encrypt.equals("compress")) {
                compress = encrypt;
                encrypt = null;
            }
        }
        String target = null;
        String routeList = null;
        if (f.length == 7) {
            routeList = f[6];
        } else if (f.length >= 9) {
            String port = f[7].strip();
            if (port.startsWith("-")) {
                out.line("      # " + entry.key() + ": a negative port refused 3wdd's port redirect; there is none now");
                port = port.substring(1);
            }
            target = f[6].strip() + ":" + (port.isEmpty() ? DEFAULT_PORT : port);
            routeList = f[f.length - 1];
        } else if (f.length == 8) {
            out.note(entry, "8 fields: 3wdd read neither routes nor a target from it; only the first six are used");
        }
        List<String> routes = new ArrayList<>();
        Map<String, String> scripts = new LinkedHashMap<>();
        if (routeList != null) {
            for (String item : routeList.split(",")) {
                String r = item.strip();
                if (r.isEmpty()) {
                    continue;
                }
                int eq = r.indexOf('=');
                if (eq > 0 && Set.of("ifup", "ifdown", "rtch").contains(r.substring(0, eq))) {
                    scripts.put(r.substring(0, eq), r.substring(eq + 1));
                } else {
                    String route = route(r);
                    if (route == null) {
                        out.note(entry, "route '" + r + "' is not net/len or net/len/metric; left out");
                    } else {
                        routes.add(route);
                    }
                }
            }
        }
        return new Session(entry.key(), entry, f[0].strip(), f[1].strip(), f[2].strip(), f[3].strip(), f[4],
                encrypt, compress, target, routes, scripts);
    }

    /** {@code net/len[/metric]}, with a dotted mask turned into its length; null when it is neither. */
    static String route(String text) {
        String[] p = text.split("/");
        if (p.length < 2 || p.length > 3 || !p[0].matches("[0-9a-fA-F:.]+")) {
            return null;
        }
        String len = p[1];
        if (len.contains(".")) {
            Integer bits = maskLength(len);
            if (bits == null) {
                return null;
            }
            len = bits.toString();
        } else if (!len.matches("[0-9]{1,3}")) {
            return null;
        }
        if (p.length == 3 && !p[2].matches("[0-9]+")) {
            return null;
        }
        return p[0] + "/" + len + (p.length == 3 ? "/" + p[2] : "");
    }

    private static Integer maskLength(String mask) {
        String[] o = mask.split("\\.");
        if (o.length != 4) {
            return null;
        }
        long bits = 0;
        for (String part : o) {
            if (!part.matches("[0-9]{1,3}") || Integer.parseInt(part) > 255) {
                return null;
            }
            bits = bits << 8 | Integer.parseInt(part);
        }
        int len = Long.bitCount(bits);
        long expect = len == 0 ? 0 : (0xFFFFFFFFL << (32 - len)) & 0xFFFFFFFFL;
        return bits == expect ? len : null;
    }

    private static List<String> items(String value) {
        List<String> out = new ArrayList<>();
        for (String s : value.split("[,\\s]+")) {
            if (!s.isBlank()) {
                out.add(s.strip());
            }
        }
        return out;
    }
}
