package dev.portico.dns;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Zones reload while queries run, and every answer is wholly old or wholly new. */
@Timeout(60)
class ReloadTest {

    @TempDir
    Path dir;

    private static String zone(int version, String aliasTarget) {
        return """
                $ORIGIN swap.test.
                $TTL 60
                @     IN SOA ns.swap.test. admin.swap.test. %d 3600 600 86400 30
                @     IN NS  ns
                ns    IN A   192.0.2.1
                alias IN CNAME %s
                t1    IN TXT "v%d-t1"
                t2    IN TXT "v%d-t2"
                """.formatted(version, aliasTarget, version, version);
    }

    @Test
    void queriesNeverSeeHalfAZone() throws Exception {
        Path file = dir.resolve("swap.test.zone");
        Files.writeString(file, zone(1, "t1"));
        // Queries in a tight loop from one address: rate limiting would drop most of them.
        try (DnsFixture dns = DnsFixture.start(dir, b -> b.zone("swap.test", file).rrl(RrlConfig.OFF))) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger answered = new AtomicInteger();
            ConcurrentLinkedQueue<String> bad = new ConcurrentLinkedQueue<>();
            List<Thread> clients = List.of(true, false).stream().map(tcp -> Thread.ofPlatform().start(() -> {
                SimpleResolver r = dns.resolver(tcp);
                while (!stop.get()) {
                    try {
                        check(r, bad);
                        answered.incrementAndGet();
                    } catch (IOException e) {
                        bad.add(e.toString());
                    }
                }
            })).toList();
            for (int i = 2; i <= 60; i++) {
                Files.writeString(file, zone(i, i % 2 == 0 ? "t2" : "t1"));
                dns.service().reload();
                Thread.sleep(5);
            }
            stop.set(true);
            for (Thread t : clients) {
                t.join();
            }
            assertThat(bad).isEmpty();
            assertThat(answered.get()).isGreaterThan(50);
            Message last = dns.query("alias.swap.test.", Type.TXT);
            assertThat(((TXTRecord) last.getSection(Section.ANSWER).get(1)).getStrings()).containsExactly("v60-t2");
        }
    }

    /** The alias's target and the TXT it leads to must come from the same zone version. */
    private static void check(SimpleResolver r, ConcurrentLinkedQueue<String> bad) throws IOException {
        Message m = r.send(Message.newQuery(Record.newRecord(DnsNames.absolute("alias.swap.test"), Type.TXT, 1)));
        List<Record> an = m.getSection(Section.ANSWER);
        if (m.getRcode() != Rcode.NOERROR || an.size() != 2) {
            bad.add("unexpected answer " + m);
            return;
        }
        String target = ((CNAMERecord) an.get(0)).getTarget().getLabelString(0);
        String txt = ((TXTRecord) an.get(1)).getStrings().getFirst();
        int version = Integer.parseInt(txt.substring(1, txt.indexOf('-')));
        String expected = version % 2 == 0 ? "t2" : "t1";
        if (!target.equals(expected) || !txt.endsWith(target)) {
            bad.add("mixed versions: alias -> " + target + " with " + txt);
        }
    }

    @Test
    void aBrokenZoneFileKeepsTheOldDataServing() throws Exception {
        Path file = dir.resolve("swap.test.zone");
        Files.writeString(file, zone(1, "t1"));
        try (DnsFixture dns = DnsFixture.start(dir, b -> b.zone("swap.test", file))) {
            Files.writeString(file, zone(2, "t1") + "broken IN A not-an-address\n");
            assertThatThrownBy(() -> dns.service().reload()).isInstanceOf(IOException.class)
                    .hasMessageContaining("swap.test.zone:9");
            Message m = dns.query("t1.swap.test.", Type.TXT);
            assertThat(((TXTRecord) m.getSection(Section.ANSWER).getFirst()).getStrings()).containsExactly("v1-t1");
        }
    }

    @Test
    void reconfigureAddsAZoneAndMovesTheListener() throws Exception {
        Path file = dir.resolve("swap.test.zone");
        Files.writeString(file, zone(7, "t1"));
        try (DnsFixture dns = DnsFixture.start(dir)) {
            assertThat(dns.query("t1.swap.test.", Type.TXT).getRcode()).isEqualTo(Rcode.REFUSED);
            DnsConfig next = dns.service().config().toBuilder().zone("swap.test", file).build();
            dns.service().reconfigure(next);
            Message m = dns.query("t1.swap.test.", Type.TXT);
            assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(((TXTRecord) m.getSection(Section.ANSWER).getFirst()).getStrings()).containsExactly("v7-t1");
            assertThat(dns.query("www.example.test.", Type.A).getSection(Section.ANSWER)).hasSize(2);
        }
    }
}
