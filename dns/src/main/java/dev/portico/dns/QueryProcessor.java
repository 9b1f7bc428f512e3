package dev.portico.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DNSInput;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;

import java.io.IOException;
import java.net.InetAddress;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Turns one query packet into one response packet (or none). Static answers come from the
 * generation's {@link AnswerCache} with the ID, the RD/CD flags and the question's case patched
 * in; everything else is built by the {@link Answerer} and rendered with name compression by
 * dnsjava. Malformed queries whose header is readable get FORMERR; shorter packets and responses
 * are dropped; opcodes other than QUERY get NOTIMP. No input makes it throw.
 *
 * <p>A query with an EDNS Client Subnet option gets the option back with the scope the answer
 * depends on (0 for answers that suit every client); cached static answers have it appended.
 */
final class QueryProcessor {

    /** The largest message over TCP. */
    static final int TCP_LIMIT = 65_535;
    /** The UDP limit for clients without EDNS. */
    static final int CLASSIC_UDP_LIMIT = 512;

    private static final Logger log = LoggerFactory.getLogger(QueryProcessor.class);

    private final Supplier<DnsData> data;
    private final DnsStats stats;

    /**
     * @param data the current generation (read once per query)
     */
    QueryProcessor(Supplier<DnsData> data) {
        this(data, new DnsStats());
    }

    /**
     * @param data  the current generation (read once per query)
     * @param stats counts each query, its rcode and cache hits
     */
    QueryProcessor(Supplier<DnsData> data, DnsStats stats) {
        this.data = data;
        this.stats = stats;
    }

    /**
     * Answers a query.
     *
     * @param in    the query packet (indexes are not moved)
     * @param udp   whether it came over UDP (answers are then cut to the client's payload size)
     * @param alloc where the response buffer comes from
     * @return the response, or null when nothing should be sent
     */
    ByteBuf process(ByteBuf in, boolean udp, ByteBufAllocator alloc) {
        return process(in, udp, null, alloc);
    }

    /**
     * Answers a query from a known source.
     *
     * @param in     the query packet (indexes are not moved)
     * @param udp    whether it came over UDP (answers are then cut to the client's payload size)
     * @param source the address the query came from (the resolver, whose round trips LRRR measures),
     *               which client-dependent answers are chosen for when the query carries no Client
     *               Subnet option; null when unknown
     * @param alloc  where the response buffer comes from
     * @return the response, or null when nothing should be sent
     */
    ByteBuf process(ByteBuf in, boolean udp, InetAddress source, ByteBufAllocator alloc) {
        return process(in, udp, () -> source, alloc::ioBuffer);
    }

    /**
     * Answers a query into a buffer the caller provides.
     *
     * @param in     the query packet (indexes are not moved)
     * @param udp    whether it came over UDP (answers are then cut to the client's payload size)
     * @param source gives the address the query came from, asked only when an answer depends on
     *               it; it may give null when unknown
     * @param out    gives a buffer for a response of at least the given number of bytes (the
     *               response may still grow it up to the client's limit); asked at most once
     * @return the response, or null when nothing should be sent
     */
    ByteBuf process(ByteBuf in, boolean udp, Supplier<InetAddress> source, IntFunction<ByteBuf> out) {
        ByteBuf response = respond(in, udp, source, out);
        stats.answered(response);
        return response;
    }

    private ByteBuf respond(ByteBuf in, boolean udp, Supplier<InetAddress> source, IntFunction<ByteBuf> out) {
        if (in.readableBytes() < QueryParser.HEADER) {
            return null;
        }
        try {
            Query q;
            try {
                q = QueryParser.parse(in);
            } catch (QueryParser.FormatError e) {
                return headerOnly(in, Rcode.FORMERR, out);
            }
            if (q == null) {
                return null;
            }
            if (q.opcode() != 0) {
                return headerOnly(in, Rcode.NOTIMP, out);
            }
            return answer(q, udp, source, out);
        } catch (RuntimeException | IOException e) {
            log.debug("dropping a query that could not be answered", e);
            return null;
        }
    }

    private ByteBuf answer(Query q, boolean udp, Supplier<InetAddress> source, IntFunction<ByteBuf> out)
            throws IOException {
        DnsData d = data.get();
        int limit = !udp ? TCP_LIMIT
                : q.edns() ? Math.clamp(q.udpSize(), CLASSIC_UDP_LIMIT, d.config().ednsMaxPayload()) : CLASSIC_UDP_LIMIT;
        boolean badVersion = q.edns() && q.ednsVersion() != 0;
        AnswerCache.Key key = badVersion ? null
                : new AnswerCache.Key(q.lowerName(), q.nameHash(), q.qtype(), q.qclass(), limit, AnswerCache.Key.opt(q));
        EcsOption ecs = badVersion ? null : q.ecs();
        byte[] cached = badVersion ? null : d.cache().get(key);
        if (cached != null && ecs != null) {
            cached = EcsAnswers.append(cached, ecs, 0, limit);
        }
        if (cached != null) {
            ByteBuf buf = out.apply(cached.length);
            int at = buf.writerIndex();
            buf.writeBytes(cached);
            buf.setShort(at, q.id());
            int flags = buf.getUnsignedShort(at + 2) & ~(Query.RD | Query.CD) | q.flags() & (Query.RD | Query.CD);
            buf.setShort(at + 2, flags);
            buf.setBytes(at + QueryParser.HEADER, q.nameWire());
            stats.cacheHit();
            return buf;
        }
        Name qname = new Name(new DNSInput(q.nameWire()));
        ClientInfo client = ClientInfo.of(ecs, source.get());
        Reply reply = Answerer.answer(d, q, qname, client);
        byte[] wire = reply.message().toWire(limit);
        if (reply.cacheable() && key != null) {
            d.cache().put(key, wire);
        }
        if (ecs != null) {
            wire = EcsAnswers.withOption(reply.message(), wire, ecs, client.scope(), limit);
        }
        return out.apply(wire.length).writeBytes(wire);
    }

    /** A response with the query's ID, opcode and RD flag, an rcode, and no sections. */
    private static ByteBuf headerOnly(ByteBuf in, int rcode, IntFunction<ByteBuf> alloc) {
        int start = in.readerIndex();
        int flags = in.getUnsignedShort(start + 2);
        if ((flags & Query.QR) != 0) {
            return null;
        }
        ByteBuf out = alloc.apply(QueryParser.HEADER);
        out.writeShort(in.getUnsignedShort(start));
        out.writeShort(Query.QR | flags & 0x7800 | flags & Query.RD | rcode);
        out.writeZero(8);
        return out;
    }
}
