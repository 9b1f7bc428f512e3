package dev.portico.tunnel;

import dev.portico.core.net.Cidr;

import java.util.Objects;

/**
 * One route a session carries: {@code net/len}, with an optional fixed metric
 * ({@code net/len/metric}, as 3wdd wrote it).
 *
 * @param net    the destination network
 * @param metric the fixed metric, or -1 for none (the kernel's default)
 */
public record Route(Cidr net, int metric) {

    public Route {
        Objects.requireNonNull(net, "net");
        if (metric < -1) {
            throw new IllegalArgumentException("a route metric must not be negative");
        }
    }

    /** Parses {@code 10.19.0.0/19} or {@code 10.19.0.0/19/100}; IPv6 networks as {@code fd00::/64/100}. */
    public static Route parse(String text) {
        String t = text.trim();
        int first = t.indexOf('/');
        if (first < 0) {
            throw new IllegalArgumentException("'" + text + "' is not net/len or net/len/metric");
        }
        int second = t.indexOf('/', first + 1);
        int metric = -1;
        String net = t;
        if (second > 0) {
            net = t.substring(0, second);
            String m = t.substring(second + 1);
            try {
                metric = Integer.parseInt(m);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "': the metric '" + m + "' is not a whole number");
            }
            if (metric < 0) {
                throw new IllegalArgumentException("'" + text + "': the metric must not be negative");
            }
        }
        Cidr cidr = Cidr.parse(net);
        if (!net.substring(net.indexOf('/') + 1).matches("[0-9]+")) {
            throw new IllegalArgumentException("'" + text + "' needs a prefix length (net/len)");
        }
        return new Route(cidr, metric);
    }

    /** Whether this is an IPv6 route. */
    public boolean ipv6() {
        return net.networkBytes().length == 16;
    }

    /** The network in the kernel's form, host bits cleared: {@code 10.19.0.0/19}. */
    public String destination() {
        try {
            return dev.portico.core.net.HostPort.text(java.net.InetAddress.getByAddress(net.networkBytes())) + "/"
                    + net.prefixLength();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return metric < 0 ? net.toString() : net + "/" + metric;
    }
}
