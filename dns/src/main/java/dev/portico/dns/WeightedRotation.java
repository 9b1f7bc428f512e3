package dev.portico.dns;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The answer order of a dynamic record's healthy addresses.
 *
 * <p>Semantics: every query advances a counter. The counter picks the <em>first</em> address from
 * a smooth weighted round-robin cycle (nginx's algorithm), so an address of weight 3 comes first
 * three times as often as one of weight 1, spread out rather than in bursts. The other addresses
 * follow in configured order, rotated to start after the first one. With equal weights this is
 * 3nsd's plain rotation. When an answer is limited to N addresses, the first N of that order are
 * taken, so the weights decide which address is always included.
 */
final class WeightedRotation {

    private final InetAddress[] addresses;
    private final int[] cycle;

    /**
     * @param addresses the healthy addresses in configured order
     * @param weights   their weights, each at least 1
     */
    WeightedRotation(List<InetAddress> addresses, int[] weights) {
        this.addresses = addresses.toArray(new InetAddress[0]);
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        this.cycle = new int[total];
        int[] current = new int[weights.length];
        for (int slot = 0; slot < total; slot++) {
            int best = 0;
            for (int i = 0; i < weights.length; i++) {
                current[i] += weights[i];
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            cycle[slot] = best;
        }
    }

    /** Whether there is no healthy address. */
    boolean isEmpty() {
        return addresses.length == 0;
    }

    /**
     * The addresses for the {@code counter}-th query.
     *
     * @param counter a per-record query counter
     * @param max     the most addresses to return; 0 for all
     */
    List<InetAddress> pick(long counter, int max) {
        int n = addresses.length;
        if (n == 0) {
            return List.of();
        }
        int first = cycle[(int) Math.floorMod(counter, (long) cycle.length)];
        int count = max == 0 ? n : Math.min(max, n);
        List<InetAddress> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(addresses[(first + i) % n]);
        }
        return out;
    }
}
