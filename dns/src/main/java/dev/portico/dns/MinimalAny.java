package dev.portico.dns;

import org.xbill.DNS.RRset;
import org.xbill.DNS.Type;

import java.util.List;

/**
 * RFC 8482: an ANY query gets one RRset of the name, not all of them. The RRset is chosen in a
 * fixed order of usefulness: A, AAAA, MX, TXT, SRV, CAA, PTR, NS, SOA, then the lowest type.
 */
final class MinimalAny {

    private static final int[] PREFERENCE = {Type.A, Type.AAAA, Type.MX, Type.TXT, Type.SRV, Type.CAA, Type.PTR,
        Type.NS, Type.SOA};

    private MinimalAny() {
    }

    static RRset pick(List<RRset> sets) {
        for (int type : PREFERENCE) {
            for (RRset s : sets) {
                if (s.getType() == type) {
                    return s;
                }
            }
        }
        RRset lowest = sets.getFirst();
        for (RRset s : sets) {
            if (s.getType() < lowest.getType()) {
                lowest = s;
            }
        }
        return lowest;
    }
}
