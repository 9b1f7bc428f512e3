package dev.portico.dns;

import dev.portico.dns.LrrrConfig.Side;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two LRRR servers on loopback (left on 127.0.0.11, right on 127.0.0.12), each behind a relay that
 * delays the path to it, and a small iterative resolver (source 127.0.0.5 as both servers see it)
 * that follows the CNAMEs to whichever server holds each zone.
 */
@Timeout(90)
class LrrrEndToEndTest {

    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();
    private DelayingUdpRelay toLeft;
    private DelayingUdpRelay toRight;

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private Path zone(String origin, String extra) throws IOException {
        Path file = dir.resolve(origin + ".zone");
        Files.writeString(file, """
                $ORIGIN %s.
                $TTL 300
                @   IN SOA ns hostmaster 1 3600 600 86400 30
                @   IN NS  ns
                ns  IN A   127.0.0.53
                %s
                """.formatted(origin, extra));
        return file;
    }

    private EmbeddedDns server(String ip, LrrrConfig lrrr, String sideZone, String address) throws IOException {
        EmbeddedDns dns = EmbeddedDns.start(DnsConfig.builder().listen(ip + ":0")
                .zone("i.example.test", zone("i.example.test", "www IN A 127.0.0.80"))
                .zone(sideZone, zone(sideZone, "ga 100 IN A " + address))
                .lrrr(lrrr).build(), 1);
        open.add(dns);
        return dns;
    }

    private DelayingUdpRelay relay(String listen, EmbeddedDns dns) throws IOException {
        DelayingUdpRelay r = new DelayingUdpRelay(new InetSocketAddress(listen, 0), dns.address(),
                InetAddress.getByName("127.0.0.5"));
        open.add(r);
        return r;
    }

    /** Follows the answer from {@code name} to an address, asking the server of each name's zone. */
    private String resolve(String start) throws IOException {
        Name name = DnsNames.absolute(start);
        for (int hop = 0; hop < 12; hop++) {
            String text = name.toString(true);
            DelayingUdpRelay via = text.endsWith(".r.example.test") ? toRight : toLeft;
            SimpleResolver r = new SimpleResolver(via.address());
            r.setTimeout(Duration.ofSeconds(3));
            Message m = r.send(Message.newQuery(Record.newRecord(name, Type.A, DClass.IN)));
            assertThat(m.getRcode()).as("rcode for " + name).isEqualTo(Rcode.NOERROR);
            for (Record rec : m.getSection(Section.ANSWER)) {
                if (rec instanceof CNAMERecord c && c.getName().equals(name)) {
                    name = c.getTarget();
                } else if (rec instanceof ARecord a && a.getName().equals(name)) {
                    return a.getAddress().getHostAddress();
                }
            }
        }
        throw new AssertionError("no address for " + start);
    }

    @Test
    void sendsTheResolverToTheNearerSideAndFollowsWhenTheDelaysSwap() throws Exception {
        LrrrConfig left = LrrrConfig.builder(Side.LEFT, "l.example.test", "r.example.test", "i.example.test")
                .name("ga.i.example.test").rttTtl(Duration.ofSeconds(1)).build();
        EmbeddedDns leftDns = server("127.0.0.11", left, "l.example.test", "127.0.0.11");
        EmbeddedDns rightDns = server("127.0.0.12", left.otherSide(), "r.example.test", "127.0.0.12");
        toLeft = relay("127.0.0.21", leftDns);
        toRight = relay("127.0.0.22", rightDns);

        assertThat(resolve("www.i.example.test")).as("other names answer as usual").isEqualTo("127.0.0.80");

        // A Client Subnet option names the client, but the round trips are the resolver's: LRRR keeps to the source.
        SimpleResolver ecs = new SimpleResolver(toLeft.address());
        ecs.setTimeout(Duration.ofSeconds(3));
        ecs.setEDNS(0, 1232, 0, List.of(new ClientSubnetOption(24, InetAddress.getByName("192.0.2.0"))));
        Message direct = ecs.send(Message.newQuery(Record.newRecord(DnsNames.absolute("ga.i.example.test"),
                Type.A, DClass.IN)));
        assertThat(direct.getSection(Section.ANSWER)).first().isInstanceOfSatisfying(CNAMERecord.class,
                c -> assertThat(c.getTarget().toString()).startsWith("lr-2130706437-"));

        toLeft.delay(400);
        toRight.delay(0);
        await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                .until(() -> resolve("ga.i.example.test").equals("127.0.0.12"));

        toLeft.delay(0);
        toRight.delay(400);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> resolve("ga.i.example.test").equals("127.0.0.11"));
    }
}
