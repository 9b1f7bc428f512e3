package dev.portico.filestore;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The nodes of one Host: its stages, each with its node list sorted as strings byte-wise (as
 * 3fsd's Python {@code list.sort()} did, so {@code 10.0.0.10:80} comes before {@code 10.0.0.2:80}),
 * and the current stage, where new files go.
 *
 * @param host   the Host key ({@code *} for any Host without its own pool)
 * @param stages stage number to its sorted {@code host:port} list
 * @param stage  the current stage, one of {@code stages}
 */
public record StorePool(String host, NavigableMap<Integer, List<String>> stages, int stage) {

    public StorePool {
        Objects.requireNonNull(host, "host");
        if (stages.isEmpty()) {
            throw new IllegalArgumentException("pool '" + host + "' needs at least one stage");
        }
        TreeMap<Integer, List<String>> copy = new TreeMap<>();
        for (Map.Entry<Integer, List<String>> e : stages.entrySet()) {
            if (e.getKey() < 0) {
                throw new IllegalArgumentException("pool '" + host + "': stage " + e.getKey() + " is negative");
            }
            copy.put(e.getKey(), sorted(e.getValue()));
        }
        stages = Collections.unmodifiableNavigableMap(copy);
        if (!stages.containsKey(stage)) {
            throw new IllegalArgumentException("pool '" + host + "': the current stage " + stage
                    + " has no nodes (stages: " + stages.keySet() + ")");
        }
    }

    /** A node list sorted as 3fsd did: as strings, by their bytes. */
    public static List<String> sorted(List<String> nodes) {
        List<String> out = new ArrayList<>(nodes);
        out.sort(StorePool::compareBytes);
        return List.copyOf(out);
    }

    /** Compares as Python 2 compared byte strings (for {@code host:port}, as UTF-16 order is the same for ASCII). */
    static int compareBytes(String a, String b) {
        byte[] x = a.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] y = b.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return java.util.Arrays.compareUnsigned(x, y);
    }

    /** The nodes of a stage, or null when the pool has no such stage. */
    public List<String> nodes(int stageNumber) {
        return stages.get(stageNumber);
    }

    /** The distinct nodes of every stage, sorted: the pool for URLs outside the prefix. */
    public List<String> union() {
        List<String> all = new ArrayList<>();
        for (List<String> nodes : stages.values()) {
            for (String n : nodes) {
                if (!all.contains(n)) {
                    all.add(n);
                }
            }
        }
        return sorted(all);
    }

    /** The stages from the current one down to the oldest, for lookups of stage-less URLs. */
    public List<Integer> newestFirst() {
        List<Integer> out = new ArrayList<>(stages.headMap(stage, true).descendingKeySet());
        return out;
    }
}
