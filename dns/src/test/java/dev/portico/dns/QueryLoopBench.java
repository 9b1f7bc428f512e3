package dev.portico.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

import java.nio.file.Path;
import java.util.List;

/**
 * A simple in-process loop over {@link QueryProcessor} that compares answering from the wire cache
 * with building every answer through dnsjava. Arguments: {@code ZONE_DIR} holding the test zones.
 */
public final class QueryLoopBench {

    private QueryLoopBench() {
    }

    /**
     * Prints nanoseconds per query with and without the answer cache.
     *
     * @param args the directory of {@code example.test.zone}
     * @throws Exception when the zone cannot be loaded
     */
    public static void main(String[] args) throws Exception {
        for (int cache : new int[] {0, 100_000, 0, 100_000}) {
            DnsConfig config = DnsConfig.builder().listen("127.0.0.1:0")
                    .zone("example.test", Path.of(args[0], "example.test.zone")).cacheEntries(cache).build();
            DnsData data = new DnsData(config, ZoneSet.load(config.zones()), DynamicRecords.none(), new AnswerCache(cache), null);
            QueryProcessor p = new QueryProcessor(() -> data);
            List<ByteBuf> queries = List.of("www.example.test.", "mail.example.test.", "nope.example.test.").stream()
                    .map(n -> Unpooled.wrappedBuffer(query(n))).toList();
            int n = 2_000_000;
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                p.process(queries.get(i % 3), true, PooledByteBufAllocator.DEFAULT).release();
            }
            long ns = (System.nanoTime() - start) / n;
            System.out.printf("cache %-7s %5d ns/query%n", cache == 0 ? "off" : "on", ns);
        }
    }

    private static byte[] query(String name) {
        try {
            return Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN)).toWire();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
