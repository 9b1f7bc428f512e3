package dev.portico.dns;

import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;
import org.xbill.DNS.Zone;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The names of one zone as a tree, and the lookup of RFC 1034 §4.3.2 over it with the wildcard
 * rules of RFC 4592. Every name between the origin and a name that holds records exists, with no
 * records of its own when nothing else is there (an empty non-terminal, RFC 8020): asking for it
 * gives NODATA, and it is a closest encloser that blocks wildcards above it. A wildcard answers
 * only below its parent when that parent is the closest encloser of the question, and is expanded
 * to the question's name, CNAMEs included. Delegations cut the tree: below them is only glue;
 * DS at a delegation point is answered here, by the parent (RFC 4035 §3.1.4.1). A DNAME answers
 * every name below its owner (RFC 6672).
 */
final class ZoneTree {

    /** What a lookup found. */
    enum Kind {
        /** {@link Result#sets()} holds the answer (several RRsets for ANY). */
        ANSWER,
        /** The name is an alias: one CNAME RRset. */
        CNAME,
        /** An ancestor has a DNAME: one DNAME RRset. */
        DNAME,
        /** The name is at or below a zone cut: the NS RRset of the cut. */
        DELEGATION,
        /** The name exists, without the asked type. */
        NODATA,
        /** The name does not exist and no wildcard covers it. */
        NXDOMAIN
    }

    /**
     * The outcome of a lookup.
     *
     * @param kind what was found
     * @param sets the RRsets (wildcard answers already carry the question's name); empty for
     *             NODATA and NXDOMAIN
     */
    record Result(Kind kind, List<RRset> sets) {

        private static final Result NODATA = new Result(Kind.NODATA, List.of());
        private static final Result NXDOMAIN = new Result(Kind.NXDOMAIN, List.of());

        /** The one RRset of a CNAME, DNAME or DELEGATION result. */
        RRset set() {
            return sets.getFirst();
        }
    }

    private static final RRset[] NONE = {};

    private final Name origin;
    /** Every name of the zone to its RRsets; empty non-terminals map to an empty array. */
    private final Map<Name, RRset[]> nodes;

    private ZoneTree(Name origin, Map<Name, RRset[]> nodes) {
        this.origin = origin;
        this.nodes = nodes;
    }

    /**
     * The tree of a loaded zone.
     *
     * @param zone  the zone
     * @param extra names that exist without records in the zone (names answered dynamically)
     */
    static ZoneTree of(Zone zone, Collection<Name> extra) {
        Name origin = zone.getOrigin();
        Map<Name, List<RRset>> byName = new HashMap<>();
        for (RRset set : zone) {
            List<RRset> sets = byName.computeIfAbsent(set.getName(), n -> new ArrayList<>());
            if (sets.stream().noneMatch(s -> s.getType() == set.getType())) {
                sets.add(set);
            }
        }
        Map<Name, RRset[]> nodes = new HashMap<>();
        for (Map.Entry<Name, List<RRset>> e : byName.entrySet()) {
            nodes.put(e.getKey(), e.getValue().toArray(NONE));
        }
        List<Name> names = new ArrayList<>(nodes.keySet());
        names.addAll(extra);
        for (Name name : names) {
            nodes.putIfAbsent(name, NONE);
            for (int skip = 1; skip < name.labels() - origin.labels(); skip++) {
                nodes.putIfAbsent(new Name(name, skip), NONE);
            }
        }
        return new ZoneTree(origin, Map.copyOf(nodes));
    }

    /** The RRset of {@code type} that {@code name} holds itself, or null (no wildcards, no cuts). */
    RRset exact(Name name, int type) {
        RRset[] node = nodes.get(name);
        return node == null ? null : find(node, type);
    }

    /** Looks {@code qname}, a name at or below the origin, up for {@code qtype}. */
    Result lookup(Name qname, int qtype) {
        int labels = qname.labels();
        int olabels = origin.labels();
        Name encloser = origin;
        for (int t = olabels; t <= labels; t++) {
            Name name = t == labels ? qname : t == olabels ? origin : new Name(qname, labels - t);
            RRset[] node = nodes.get(name);
            if (node == null) {
                return wildcard(qname, encloser, qtype);
            }
            boolean exact = t == labels;
            if (t != olabels) {
                RRset ns = find(node, Type.NS);
                if (ns != null && !(exact && qtype == Type.DS)) {
                    return new Result(Kind.DELEGATION, List.of(ns));
                }
            }
            if (exact) {
                return answer(node, qtype, null);
            }
            RRset dname = find(node, Type.DNAME);
            if (dname != null) {
                return new Result(Kind.DNAME, List.of(dname));
            }
            encloser = name;
        }
        throw new IllegalArgumentException(qname + " is not in zone " + origin);
    }

    /** The answer of the wildcard child of {@code encloser}, the closest encloser of {@code qname}. */
    private Result wildcard(Name qname, Name encloser, int qtype) {
        RRset[] node = nodes.get(qname.wild(qname.labels() - encloser.labels()));
        return node == null ? Result.NXDOMAIN : answer(node, qtype, qname);
    }

    /** The answer of a node for {@code qtype}; {@code owner} renames a wildcard's records (null: as they are). */
    private static Result answer(RRset[] node, int qtype, Name owner) {
        if (qtype == Type.ANY) {
            if (node.length == 0) {
                return Result.NODATA;
            }
            List<RRset> all = new ArrayList<>(node.length);
            for (RRset set : node) {
                all.add(renamed(set, owner));
            }
            return new Result(Kind.ANSWER, all);
        }
        RRset set = find(node, qtype);
        if (set != null) {
            return new Result(Kind.ANSWER, List.of(renamed(set, owner)));
        }
        RRset cname = find(node, Type.CNAME);
        if (cname != null) {
            return new Result(Kind.CNAME, List.of(renamed(cname, owner)));
        }
        return Result.NODATA;
    }

    private static RRset renamed(RRset set, Name owner) {
        if (owner == null) {
            return set;
        }
        RRset copy = new RRset();
        for (Record r : set.rrs(false)) {
            copy.addRR(r.withName(owner));
        }
        return copy;
    }

    private static RRset find(RRset[] node, int type) {
        for (RRset set : node) {
            if (set.getType() == type) {
                return set;
            }
        }
        return null;
    }
}
