package dev.portico.dns;

import dev.portico.core.net.Cidr;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Map;

/**
 * An immutable longest-prefix-match map from IPv4 and IPv6 ranges to values: a binary trie per
 * family. A lookup also tells the <em>scope</em> of its result, the shortest prefix of the address
 * whose whole block gets the same result (no more specific range lies inside it), which is what
 * an EDNS Client Subnet answer reports.
 *
 * @param <T> the value type
 */
final class PrefixMap<T> {

    private static final class Node<T> {
        Node<T> zero;
        Node<T> one;
        T value;
    }

    /**
     * A lookup's result.
     *
     * @param value the value of the most specific range containing the address, or null
     * @param scope the prefix length the result holds for
     */
    record Match<T>(T value, int scope) {
    }

    private final Node<T> v4 = new Node<>();
    private final Node<T> v6 = new Node<>();
    private final int size;

    private PrefixMap(Map<Cidr, T> entries) {
        for (Map.Entry<Cidr, T> e : entries.entrySet()) {
            byte[] net = e.getKey().networkBytes();
            Node<T> n = net.length == 4 ? v4 : v6;
            for (int bit = 0; bit < e.getKey().prefixLength(); bit++) {
                if (bit(net, bit)) {
                    n = n.one != null ? n.one : (n.one = new Node<>());
                } else {
                    n = n.zero != null ? n.zero : (n.zero = new Node<>());
                }
            }
            n.value = e.getValue();
        }
        this.size = entries.size();
    }

    /**
     * Builds a map.
     *
     * @param entries ranges and their values (later entries replace earlier ones for the same range)
     * @return the map
     */
    static <T> PrefixMap<T> of(Map<Cidr, T> entries) {
        return new PrefixMap<>(entries);
    }

    /** Whether there is no range. */
    boolean isEmpty() {
        return size == 0;
    }

    /**
     * Finds the most specific range that contains {@code address}.
     *
     * @param address an IPv4 or IPv6 address
     * @return the value (or null) and the scope of the result
     */
    Match<T> lookup(InetAddress address) {
        byte[] a = address.getAddress();
        Node<T> n = address instanceof Inet4Address ? v4 : v6;
        T best = n.value;
        int depth = 0;
        while (n.zero != null || n.one != null) {
            n = bit(a, depth) ? n.one : n.zero;
            depth++;
            if (n == null) {
                break;
            }
            if (n.value != null) {
                best = n.value;
            }
        }
        return new Match<>(best, depth);
    }

    private static boolean bit(byte[] bytes, int index) {
        return (bytes[index >> 3] & (0x80 >> (index & 7))) != 0;
    }
}
