package dev.portico.dns;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNAMERecord;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;

/**
 * Builds the authoritative response to one query from a {@link DnsData} generation:
 * answers with AA set, found by each zone's {@link ZoneTree} (empty non-terminals, wildcards,
 * DS at cuts answered by the parent), CNAMEs chased through our zones with each record once (a
 * loop ends where it closes), DNAMEs with the CNAME they synthesise (YXDOMAIN when the new name is
 * too long), NS answers and referrals with glue, NXDOMAIN and NODATA with the zone's SOA (negative
 * TTL) in the authority section, REFUSED outside our zones, RFC 8482 minimal ANY answers, the DO
 * bit copied into the OPT record, and dynamic records resolved through their failover chain.
 */
final class Answerer {

    /** The most CNAMEs and DNAMEs followed before answering SERVFAIL (loops end sooner, where they close). */
    static final int MAX_CNAME_HOPS = 16;

    private Answerer() {
    }

    /** Builds the response to {@code q}, whose question name is {@code qname}, for no client in particular. */
    static Reply answer(DnsData data, Query q, Name qname) {
        return answer(data, q, qname, ClientInfo.NONE);
    }

    /**
     * Builds the response to {@code q}, whose question name is {@code qname}; dynamic records
     * choose their addresses for {@code client} and record in it what the choice depended on.
     */
    static Reply answer(DnsData data, Query q, Name qname, ClientInfo client) {
        int ednsMaxPayload = data.config().ednsMaxPayload();
        Message m = new Message(q.id());
        Header h = m.getHeader();
        h.setFlag(Flags.QR);
        if (q.rd()) {
            h.setFlag(Flags.RD);
        }
        if (q.cd()) {
            h.setFlag(Flags.CD);
        }
        m.addRecord(Record.newRecord(qname, q.qtype(), q.qclass()), Section.QUESTION);
        if (q.edns()) {
            // RFC 3225 §3: the DO bit is copied into the response.
            int ednsFlags = q.dnssecOk() ? ExtendedFlags.DO : 0;
            if (q.ednsVersion() != 0) {
                m.addRecord(new OPTRecord(ednsMaxPayload, Rcode.BADVERS >> 4, 0, ednsFlags), Section.ADDITIONAL);
                return new Reply(m, false);
            }
            m.addRecord(new OPTRecord(ednsMaxPayload, 0, 0, ednsFlags), Section.ADDITIONAL);
        }
        int qtype = q.qtype();
        if (q.qclass() != DClass.IN) {
            h.setRcode(Rcode.REFUSED);
            return new Reply(m, true);
        }
        if (qtype == Type.AXFR || qtype == Type.IXFR || qtype == Type.MAILA || qtype == Type.MAILB
                || qtype == Type.OPT) {
            h.setRcode(qtype == Type.OPT ? Rcode.FORMERR : Rcode.NOTIMP);
            return new Reply(m, true);
        }
        ZoneSet.LoadedZone zone = qtype == Type.DS ? data.zones().findForDs(qname) : data.zones().find(qname);
        if (zone == null) {
            h.setRcode(Rcode.REFUSED);
            return new Reply(m, true);
        }
        h.setFlag(Flags.AA);
        return new Reply(m, resolve(m, data, zone, qname, qtype, client));
    }

    /** Fills the sections; returns whether the answer is static (cacheable). */
    private static boolean resolve(Message m, DnsData data, ZoneSet.LoadedZone startZone, Name qname, int qtype,
                                   ClientInfo client) {
        ZoneSet.LoadedZone zone = startZone;
        Name name = qname;
        boolean cacheable = true;
        for (int hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
            Lrrr.Step lr = hop == 0 && data.lrrr() != null ? data.lrrr().answer(name, client.source()) : null;
            if (lr != null) {
                m.addRecord(new CNAMERecord(name, DClass.IN, lr.ttl(), lr.target()), Section.ANSWER);
                name = lr.target();
                zone = data.zones().find(name);
                if (!lr.chase() || qtype == Type.CNAME || zone == null) {
                    return false;
                }
                cacheable = false;
                continue;
            }
            DynaZoneFile.Ref dyna = zone.dyna().isEmpty() ? null : zone.dyna().get(name);
            boolean dynamic = dyna != null || data.dynamic().contains(name);
            if (dynamic) {
                cacheable = false;
                if (qtype == Type.A || qtype == Type.AAAA || qtype == Type.ANY) {
                    DynamicAnswer answer = dyna == null ? data.dynamic().resolve(name, client) : viaDyna(data, dyna, client);
                    if (!addDynamic(m, answer, name, qtype)) {
                        m.addRecord(zone.negativeSoa(), Section.AUTHORITY);
                    }
                    return false;
                }
            }
            ZoneTree.Result found = zone.tree().lookup(name, qtype);
            switch (found.kind()) {
                case ANSWER -> {
                    List<RRset> sets = qtype == Type.ANY ? List.of(MinimalAny.pick(found.sets())) : found.sets();
                    for (RRset set : sets) {
                        addAll(m, set, Section.ANSWER);
                        if (set.getType() == Type.NS) {
                            addGlue(m, data.zones(), set);
                        }
                    }
                    return cacheable;
                }
                case CNAME -> {
                    CNAMERecord cname = (CNAMERecord) found.set().first();
                    if (m.findRecord(cname, Section.ANSWER)) {
                        return cacheable;
                    }
                    m.addRecord(cname, Section.ANSWER);
                    name = cname.getTarget();
                }
                case DNAME -> {
                    DNAMERecord dname = (DNAMERecord) found.set().first();
                    if (!m.findRecord(dname, Section.ANSWER)) {
                        m.addRecord(dname, Section.ANSWER);
                    }
                    Name target;
                    try {
                        target = name.fromDNAME(dname);
                    } catch (NameTooLongException e) {
                        m.getHeader().setRcode(Rcode.YXDOMAIN);
                        return cacheable;
                    }
                    CNAMERecord cname = new CNAMERecord(name, DClass.IN, dname.getTTL(), target);
                    if (m.findRecord(cname, Section.ANSWER)) {
                        return cacheable;
                    }
                    m.addRecord(cname, Section.ANSWER);
                    name = target;
                }
                case DELEGATION -> {
                    if (hop == 0) {
                        m.getHeader().unsetFlag(Flags.AA);
                    }
                    RRset ns = found.set();
                    addAll(m, ns, Section.AUTHORITY);
                    addGlue(m, data.zones(), ns);
                    return cacheable;
                }
                case NODATA, NXDOMAIN -> {
                    if (found.kind() == ZoneTree.Kind.NXDOMAIN && !dynamic) {
                        m.getHeader().setRcode(Rcode.NXDOMAIN);
                    }
                    m.addRecord(zone.negativeSoa(), Section.AUTHORITY);
                    return cacheable;
                }
            }
            zone = qtype == Type.DS ? data.zones().findForDs(name) : data.zones().find(name);
            if (zone == null || qtype == Type.CNAME) {
                return cacheable;
            }
        }
        m.getHeader().setRcode(Rcode.SERVFAIL);
        return cacheable;
    }

    /** The answer of the resource or record a zone file's DYNA line points at, its TTL capped by the line's. */
    private static DynamicAnswer viaDyna(DnsData data, DynaZoneFile.Ref dyna, ClientInfo client) {
        DynamicAnswer a = data.dynamic().resolve(dyna.target(), client);
        if (a == null) {
            return new DynamicAnswer(List.of(), 0);
        }
        return dyna.ttlCap() >= 0 && dyna.ttlCap() < a.ttl() ? new DynamicAnswer(a.addresses(), dyna.ttlCap()) : a;
    }

    /** Adds the dynamic addresses of the asked family; returns whether any was added. */
    private static boolean addDynamic(Message m, DynamicAnswer answer, Name name, int qtype) {
        boolean v4 = qtype == Type.A || qtype == Type.ANY && answer.addresses().stream().anyMatch(a -> a instanceof Inet4Address);
        boolean added = false;
        for (InetAddress a : answer.addresses()) {
            if (v4 && a instanceof Inet4Address) {
                m.addRecord(new ARecord(name, DClass.IN, answer.ttl(), a), Section.ANSWER);
                added = true;
            } else if (!v4 && a instanceof Inet6Address) {
                m.addRecord(new AAAARecord(name, DClass.IN, answer.ttl(), a), Section.ANSWER);
                added = true;
            }
        }
        return added;
    }

    /** Adds the A and AAAA records that our zones hold for each name server of {@code ns}. */
    private static void addGlue(Message m, ZoneSet zones, RRset ns) {
        for (Record r : ns.rrs(false)) {
            Name target = ((NSRecord) r).getTarget();
            ZoneSet.LoadedZone z = zones.find(target);
            if (z == null) {
                continue;
            }
            for (int type : new int[] {Type.A, Type.AAAA}) {
                RRset glue = z.tree().exact(target, type);
                if (glue != null) {
                    addAll(m, glue, Section.ADDITIONAL);
                }
            }
        }
    }

    private static void addAll(Message m, RRset set, int section) {
        for (Record r : set.rrs(false)) {
            m.addRecord(r, section);
        }
    }
}
