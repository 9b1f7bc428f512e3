package dev.portico.lb;

import dev.portico.core.net.Cidr;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The peers allowed to tell us who the client is: load balancers in front that send a PROXY
 * protocol header ({@code accept_proxy: [10.0.0.0/8]}). A connection from one of them must start
 * with a header; a connection from anyone else is never parsed for one. Two sets are equal when
 * they were written the same way.
 */
public final class TrustedProxies {

    /** Nobody is trusted: no header is ever parsed. */
    public static final TrustedProxies NONE = new TrustedProxies(List.of());

    private final List<Cidr> ranges;

    private TrustedProxies(List<Cidr> ranges) {
        this.ranges = List.copyOf(ranges);
    }

    /**
     * Parses CIDR ranges or bare addresses.
     *
     * @throws IllegalArgumentException naming the first bad range
     */
    public static TrustedProxies parse(List<String> ranges) {
        List<Cidr> parsed = new ArrayList<>();
        for (String r : ranges) {
            parsed.add(Cidr.parse(r));
        }
        return parsed.isEmpty() ? NONE : new TrustedProxies(parsed);
    }

    /** True when no peer is trusted. */
    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** True when a connection from {@code peer} must start with a PROXY header. */
    public boolean trusts(SocketAddress peer) {
        if (ranges.isEmpty() || !(peer instanceof InetSocketAddress a)) {
            return false;
        }
        InetAddress ip = a.getAddress();
        return ip != null && Cidr.anyContains(ranges, ip);
    }

    /** The ranges as written. */
    public List<String> ranges() {
        return ranges.stream().map(Cidr::toString).toList();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrustedProxies t && ranges().equals(t.ranges());
    }

    @Override
    public int hashCode() {
        return ranges().hashCode();
    }

    @Override
    public String toString() {
        return ranges().toString();
    }
}
