package dev.portico.admin.ssh;

import dev.portico.core.net.HostPort;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The pattern list of an {@code authorized_keys} {@code from="…"} option, matched as sshd(8) does
 * with {@code UseDNS no}: comma-separated entries, each an address, a CIDR block
 * ({@code 10.0.0.0/8}, {@code 2001:db8::/32}) or a pattern with {@code *} and {@code ?}, optionally
 * negated with {@code !}. The client's address must match one entry and no negated one. Names are
 * never resolved, so a host-name pattern is compared with the address text and in practice does not
 * match.
 */
final class FromPatterns {

    private record Entry(boolean negated, byte[] network, int bits, String glob) {
    }

    private final String text;
    private final List<Entry> entries;

    private FromPatterns(String text, List<Entry> entries) {
        this.text = text;
        this.entries = entries;
    }

    /**
     * @throws IllegalArgumentException for an empty list or a CIDR block that is not one
     */
    static FromPatterns parse(String text) {
        List<Entry> entries = new ArrayList<>();
        for (String raw : text.split(",", -1)) {
            String p = raw.strip();
            boolean negated = p.startsWith("!");
            if (negated) {
                p = p.substring(1);
            }
            if (p.isEmpty()) {
                throw new IllegalArgumentException("from=\"" + text + "\" has an empty pattern");
            }
            entries.add(entry(negated, p, text));
        }
        return new FromPatterns(text, List.copyOf(entries));
    }

    private static Entry entry(boolean negated, String p, String list) {
        int slash = p.indexOf('/');
        String address = slash < 0 ? p : p.substring(0, slash);
        InetAddress literal = null;
        if (address.indexOf('*') < 0 && address.indexOf('?') < 0) {
            try {
                literal = InetAddress.ofLiteral(address);
            } catch (IllegalArgumentException notAnAddress) {
                literal = null;
            }
        }
        if (slash < 0) {
            return literal == null ? new Entry(negated, null, 0, p.toLowerCase(Locale.ROOT))
                    : new Entry(negated, literal.getAddress(), literal.getAddress().length * 8, null);
        }
        if (literal == null) {
            throw new IllegalArgumentException("from=\"" + list + "\": '" + p + "' is not an address/prefix block");
        }
        int max = literal.getAddress().length * 8;
        int bits;
        try {
            bits = Integer.parseInt(p.substring(slash + 1));
        } catch (NumberFormatException e) {
            bits = -1;
        }
        if (bits < 0 || bits > max) {
            throw new IllegalArgumentException("from=\"" + list + "\": '" + p + "' has a prefix length outside 0.." + max);
        }
        byte[] network = literal.getAddress();
        for (int i = 0; i < network.length * 8; i++) {
            if (i >= bits && (network[i / 8] & (0x80 >>> (i % 8))) != 0) {
                throw new IllegalArgumentException("from=\"" + list + "\": '" + p + "' has bits set past /" + bits);
            }
        }
        return new Entry(negated, network, bits, null);
    }

    /** Whether a client connecting from {@code client} may use the key. */
    boolean allows(InetAddress client) {
        byte[] bytes = client.getAddress();
        String textual = null;
        boolean matched = false;
        for (Entry e : entries) {
            boolean hit;
            if (e.glob() == null) {
                hit = inBlock(bytes, e.network(), e.bits());
            } else {
                if (textual == null) {
                    textual = text(client);
                }
                hit = glob(e.glob(), textual);
            }
            if (hit) {
                if (e.negated()) {
                    return false;
                }
                matched = true;
            }
        }
        return matched;
    }

    private static boolean inBlock(byte[] address, byte[] network, int bits) {
        if (address.length != network.length) {
            return false;
        }
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >>> (i % 8);
            if ((address[i / 8] & mask) != (network[i / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    /** The address as sshd prints it: dotted IPv4, or IPv6 with the longest zero run as {@code ::}. */
    static String text(InetAddress a) {
        return HostPort.text(a);
    }

    /** {@code *} matches any run of characters, {@code ?} exactly one; case-insensitive. */
    static boolean glob(String pattern, String s) {
        String t = s.toLowerCase(Locale.ROOT);
        int p = 0;
        int i = 0;
        int star = -1;
        int mark = 0;
        while (i < t.length()) {
            if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == t.charAt(i))) {
                p++;
                i++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = i;
            } else if (star >= 0) {
                p = star + 1;
                i = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    @Override
    public String toString() {
        return text;
    }
}
