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

import static org.assertj.core.api.Assertions.assertThat;

/** FORMERR, NOTIMP, BADVERS and dropped packets, over a raw UDP socket (the fuzz run is {@link DnsFuzzTest}). */
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
}
