package dev.portico.dns;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** FORMERR, NOTIMP, BADVERS, dropped packets, and a fuzz run, over a raw UDP socket. */
@Timeout(60)
class MalformedQueryTest {

    @TempDir
    static Path dir;
    static DnsFixture dns;

    @BeforeAll
    static void start() throws Exception {
        dns = DnsFixture.start(dir);
    }

    @AfterAll
    static void stop() {
        dns.close();
    }

    private static byte[] exchange(byte[] packet) throws Exception {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(2000);
            s.send(new DatagramPacket(packet, packet.length, dns.address()));
            byte[] buf = new byte[65_535];
            DatagramPacket in = new DatagramPacket(buf, buf.length);
            s.receive(in);
            return Arrays.copyOf(buf, in.getLength());
        }
    }

    private static boolean answered(byte[] packet) throws Exception {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(300);
            s.send(new DatagramPacket(packet, packet.length, dns.address()));
            s.receive(new DatagramPacket(new byte[512], 512));
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    private static byte[] query(String name, int type) throws Exception {
        return Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)).toWire();
    }

    @Test
    void aQuestionCutShortIsFormerr() throws Exception {
        byte[] q = query("www.example.test.", Type.A);
        byte[] cut = Arrays.copyOf(q, q.length - 3);
        Message m = new Message(exchange(cut));
        assertThat(m.getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(m.getHeader().getID()).isEqualTo(new Message(q).getHeader().getID());
    }

    @Test
    void twoQuestionsAreFormerr() throws Exception {
        byte[] q = query("www.example.test.", Type.A);
        q[5] = 2;
        assertThat(new Message(exchange(q)).getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @Test
    void otherOpcodesAreNotImplemented() throws Exception {
        Message notify = Message.newQuery(Record.newRecord(Name.fromString("example.test."), Type.SOA, DClass.IN));
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        Message m = new Message(exchange(notify.toWire()));
        assertThat(m.getRcode()).isEqualTo(Rcode.NOTIMP);
        assertThat(m.getHeader().getOpcode()).isEqualTo(Opcode.NOTIFY);
        Message update = Message.newUpdate(Name.fromString("example.test."));
        assertThat(new Message(exchange(update.toWire())).getRcode()).isEqualTo(Rcode.NOTIMP);
    }

    @Test
    void unknownEdnsVersionIsBadvers() throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString("www.example.test."), Type.A, DClass.IN));
        q.addRecord(new OPTRecord(1232, 0, 1), Section.ADDITIONAL);
        Message m = new Message(exchange(q.toWire()));
        assertThat(m.getRcode()).isEqualTo(Rcode.BADVERS);
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void zoneTransfersAreNotImplemented() throws Exception {
        Message m = new Message(exchange(query("example.test.", Type.AXFR)));
        assertThat(m.getRcode()).isEqualTo(Rcode.NOTIMP);
    }

    @Test
    void shortPacketsAndResponsesAreDropped() throws Exception {
        assertThat(answered(new byte[5])).isFalse();
        byte[] response = query("www.example.test.", Type.A);
        response[2] |= (byte) 0x80;
        assertThat(answered(response)).isFalse();
        assertThat(answered(query("www.example.test.", Type.A))).isTrue();
    }

    @Test
    void survivesAHundredThousandRandomAndMutatedPackets() throws Exception {
        SplittableRandom random = new SplittableRandom(42);
        byte[][] seeds = {
            query("www.example.test.", Type.A), query("big.example.test.", Type.TXT),
            query("chain.example.test.", Type.A), query("example.test.", Type.ANY),
            query("nope.example.test.", Type.MX), query("1.2.0.192.in-addr.arpa.", Type.PTR),
        };
        int sent = 0;
        int replies = 0;
        byte[] buf = new byte[65_535];
        DatagramPacket in = new DatagramPacket(buf, buf.length);
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(1);
            s.setReceiveBufferSize(1 << 20);
            for (; sent < 100_000; sent++) {
                byte[] p;
                if (sent % 3 == 0) {
                    p = new byte[random.nextInt(0, 600)];
                    random.nextBytes(p);
                } else {
                    byte[] seed = seeds[random.nextInt(seeds.length)];
                    p = Arrays.copyOf(seed, Math.max(1, seed.length + random.nextInt(-8, 9)));
                    for (int flips = random.nextInt(1, 6); flips > 0; flips--) {
                        p[random.nextInt(p.length)] = (byte) random.nextInt(256);
                    }
                }
                s.send(new DatagramPacket(p, p.length, dns.address()));
                if (sent % 64 == 0) {
                    replies += drain(s, in);
                }
            }
            replies += drain(s, in);
        }
        assertThat(sent).isEqualTo(100_000);
        assertThat(replies).as("many mutated queries still get answers").isPositive();
        Message after = dns.query("www.example.test.", Type.A);
        assertThat(after.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(after.getSection(Section.ANSWER)).hasSize(2);
        Message tcp = dns.query("big.example.test.", Type.TXT, true);
        assertThat(tcp.getSection(Section.ANSWER)).hasSize(8);
    }

    private static int drain(DatagramSocket s, DatagramPacket in) throws Exception {
        int n = 0;
        while (true) {
            try {
                s.receive(in);
                n++;
            } catch (SocketTimeoutException e) {
                return n;
            }
        }
    }
}
