package dev.portico.dns;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A dns service counts every query it gets, by the rcode it answers, over UDP and TCP, and its cache hits. */
@Timeout(60)
class DnsStatsTest {

    @TempDir
    Path dir;

    @Test
    void queriesCountByRcodeOverUdpAndTcpWithCacheHitsAndDroppedPackets() throws Exception {
        try (DnsFixture dns = DnsFixture.start(dir)) {
            DnsStats stats = dns.service().stats();
            assertThat(stats.queries()).isZero();
            for (int i = 0; i < 3; i++) {
                assertThat(dns.query("www.example.test.", Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
            }
            assertThat(dns.query("www.example.test.", Type.A, true).getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(dns.query("nope.example.test.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
            assertThat(dns.query("www.elsewhere.test.", Type.A, true).getRcode()).isEqualTo(Rcode.REFUSED);
            byte[] q = Message.newQuery(Record.newRecord(Name.fromString("www.example.test."), Type.A, DClass.IN))
                    .toWire();
            try (DatagramSocket s = new DatagramSocket()) {
                s.setSoTimeout(2000);
                byte[] cut = Arrays.copyOf(q, q.length - 3);
                s.send(new DatagramPacket(cut, cut.length, dns.address()));
                byte[] buf = new byte[512];
                s.receive(new DatagramPacket(buf, buf.length));
                assertThat(new Message(buf).getRcode()).isEqualTo(Rcode.FORMERR);
                Message notify = Message.newQuery(Record.newRecord(Name.fromString("example.test."), Type.SOA, DClass.IN));
                notify.getHeader().setOpcode(Opcode.NOTIFY);
                byte[] n = notify.toWire();
                s.send(new DatagramPacket(n, n.length, dns.address()));
                s.receive(new DatagramPacket(buf, buf.length));
                assertThat(new Message(buf).getRcode()).isEqualTo(Rcode.NOTIMP);
                s.send(new DatagramPacket(q, 5, dns.address())); // shorter than a header: dropped
            }

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(stats.queries()).isEqualTo(9));
            assertThat(stats.responses(Rcode.NOERROR)).isEqualTo(4);
            assertThat(stats.responses(Rcode.NXDOMAIN)).isEqualTo(1);
            assertThat(stats.responses(Rcode.REFUSED)).isEqualTo(1);
            assertThat(stats.responses(Rcode.NOTIMP)).isEqualTo(1);
            assertThat(stats.responses(Rcode.FORMERR)).isEqualTo(1);
            assertThat(stats.responses(Rcode.SERVFAIL)).isZero();
            assertThat(stats.otherResponses()).isZero();
            assertThat(stats.unanswered()).isEqualTo(1);
            // The first UDP query renders the answer; the next two come from the cache (TCP has its own key).
            assertThat(stats.cacheHits()).isEqualTo(2);
        }
    }

    @Test
    void theCountersAreMeters() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DnsStats stats = new DnsStats("names", registry);
        byte[] header = new byte[QueryParser.HEADER];
        header[2] = (byte) 0x84; // QR, AA
        header[3] = (byte) Rcode.NXDOMAIN;
        stats.answered(Unpooled.wrappedBuffer(header));
        stats.answered(null);
        stats.cacheHit();
        assertThat(registry.get("portico_dns_answer_cache_hits").tag("service", "names").functionCounter().count())
                .isEqualTo(1.0);
        assertThat(registry.get("portico_dns_responses").tag("service", "names").tag("rcode", "NXDOMAIN")
                .functionCounter().count()).isEqualTo(1.0);
        assertThat(registry.get("portico_dns_responses").tag("service", "names").tag("rcode", "NOERROR")
                .functionCounter().count()).isZero();
        assertThat(registry.get("portico_dns_queries").tag("service", "names").functionCounter().count())
                .isEqualTo(2.0);
    }
}
