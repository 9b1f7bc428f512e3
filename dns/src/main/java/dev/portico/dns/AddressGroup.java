package dev.portico.dns;

import dev.portico.upstream.Backend;
import dev.portico.upstream.Pool;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One address set of a dynamic record (its default addresses, a range's or a geo variant's): the
 * addresses in configured order, each bound to the shared {@link Backend} that health-checks it.
 * It answers with the set's healthy addresses in weighted rotation, and knows whether any of them
 * is near a health change.
 */
final class AddressGroup {

    /** One address of the set and the backend checking it. */
    record Member(Backend backend, AddressSpec spec) {
    }

    private record Rotation(List<Backend> snapshot, WeightedRotation rotation) {
    }

    private final Pool pool;
    private final List<Member> members;
    private final AtomicLong queries = new AtomicLong();
    private volatile Rotation rotation;

    /**
     * @param pool    the record's pool, whose eligible list tells which backends are up
     * @param members the addresses in configured order
     */
    AddressGroup(Pool pool, List<Member> members) {
        this.pool = pool;
        this.members = List.copyOf(members);
    }

    List<Member> members() {
        return members;
    }

    /**
     * The healthy addresses for one query, in rotated order.
     *
     * @param max the most addresses to return; 0 for all
     * @return the addresses; empty when every one is down
     */
    List<InetAddress> pick(int max) {
        return current().pick(queries.getAndIncrement(), max);
    }

    /** Whether any address of the set may change health soon (see {@link StreakProbe#nearChange}). */
    boolean nearChange(StreakProbe probe) {
        for (Member m : members) {
            if (probe.nearChange(m.backend())) {
                return true;
            }
        }
        return false;
    }

    private WeightedRotation current() {
        List<Backend> eligible = pool.eligible();
        Rotation r = rotation;
        if (r == null || r.snapshot() != eligible) {
            Set<Backend> up = Collections.newSetFromMap(new IdentityHashMap<>());
            up.addAll(eligible);
            List<InetAddress> addresses = new ArrayList<>(members.size());
            List<Integer> weights = new ArrayList<>(members.size());
            for (Member m : members) {
                if (up.contains(m.backend())) {
                    addresses.add(m.spec().address());
                    weights.add(m.spec().weight());
                }
            }
            r = new Rotation(eligible, new WeightedRotation(addresses, weights.stream().mapToInt(Integer::intValue).toArray()));
            rotation = r;
        }
        return r.rotation();
    }
}
