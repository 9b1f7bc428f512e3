package dev.portico.server.threexsd;

import java.util.ArrayList;
import java.util.List;

/**
 * 3xsd's address lists: single IPv4 addresses and ranges over the last octet such as
 * {@code 10.23.4.101-200}, turned into the fewest CIDR blocks that cover exactly the same
 * addresses.
 */
public final class Ipv4Ranges {

    private Ipv4Ranges() {
    }

    /**
     * Converts one item: an address stays as it is, {@code a.b.c.X-Y} becomes CIDR blocks.
     *
     * @throws IllegalArgumentException when the item is neither
     */
    public static List<String> toCidrs(String item) {
        String s = item.strip();
        int dash = s.indexOf('-');
        if (dash < 0) {
            parse(s, item);
            return List.of(s);
        }
        String first = s.substring(0, dash).strip();
        String lastOctet = s.substring(dash + 1).strip();
        long start = parse(first, item);
        int end;
        try {
            end = Integer.parseInt(lastOctet);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + item + "': after '-' comes the last octet of the range (example: 10.0.0.10-20)");
        }
        int startOctet = (int) (start & 0xff);
        if (end < startOctet || end > 255) {
            throw new IllegalArgumentException("'" + item + "': the range end must be between " + startOctet + " and 255");
        }
        return cover(start, (start & ~0xffL) | end);
    }

    /**
     * Every address of one item: an address, or {@code a.b.c.X-Y} as X-Y+1 addresses.
     *
     * @throws IllegalArgumentException when the item is neither
     */
    public static List<String> addresses(String item) {
        List<String> out = new ArrayList<>();
        for (String cidr : toCidrs(item)) {
            int slash = cidr.indexOf('/');
            if (slash < 0) {
                out.add(cidr);
                continue;
            }
            long first = parse(cidr.substring(0, slash), item);
            long count = 1L << (32 - Integer.parseInt(cidr.substring(slash + 1)));
            for (long a = first; a < first + count; a++) {
                out.add(format(a));
            }
        }
        return out;
    }

    /** The fewest CIDR blocks covering {@code first..last} inclusive. */
    static List<String> cover(long first, long last) {
        List<String> out = new ArrayList<>();
        long at = first;
        while (at <= last) {
            int size = 0;
            while (size < 32) {
                long block = 1L << (size + 1);
                if ((at & (block - 1)) != 0 || at + block - 1 > last) {
                    break;
                }
                size++;
            }
            out.add(format(at) + "/" + (32 - size));
            at += 1L << size;
        }
        return out;
    }

    private static long parse(String dotted, String item) {
        String[] parts = dotted.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("'" + item + "' is not an IPv4 address or a last-octet range");
        }
        long v = 0;
        for (String p : parts) {
            int n;
            try {
                n = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + item + "' is not an IPv4 address or a last-octet range");
            }
            if (n < 0 || n > 255) {
                throw new IllegalArgumentException("'" + item + "' has an octet out of range");
            }
            v = (v << 8) | n;
        }
        return v;
    }

    private static String format(long v) {
        return ((v >> 24) & 0xff) + "." + ((v >> 16) & 0xff) + "." + ((v >> 8) & 0xff) + "." + (v & 0xff);
    }
}
