package dev.portico.dns;

import dev.portico.core.transport.BatchedUdpSocket;
import dev.portico.core.transport.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Many queries arriving at once are read in batches and each gets its answer, on both UDP paths:
 * the batched sockets with their own threads (Linux native transports) and the datagram channels
 * on the event loops (NIO).
 */
@Timeout(30)
class UdpBatchTest {

    @TempDir
    static Path dir;
    static DnsFixture batched;
    static DnsFixture channels;

    @BeforeAll
    static void start() throws Exception {
        // Bursts of one query from one address: rate limiting (RrlEndToEndTest) would cut them down.
        batched = DnsFixture.start(dir, b -> b.rrl(RrlConfig.OFF), null);
        channels = DnsFixture.start(dir, b -> b.rrl(RrlConfig.OFF), Transport.Kind.NIO);
    }

    @AfterAll
    static void stop() {
        batched.close();
        channels.close();
    }

    static DnsFixture server(String path) {
        return path.equals("batched") ? batched : channels;
    }

    @Test
    void theLinuxNativeTransportsAnswerFromBatchedSocketThreads() {
        assumeTrue(BatchedUdpSocket.available() && batched.transport().kind() != Transport.Kind.NIO,
                "batched sockets need Linux and a native transport");
        assertThat(udpThreads(batched.address().getPort())).hasSize(2);
        assertThat(udpThreads(channels.address().getPort())).isEmpty();
    }

    private static List<String> udpThreads(int port) {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("portico-dns-udp-" + port + "-")).toList();
    }

    private static byte[] query(int id, String name, OPTRecord opt) throws Exception {
        Message m = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
        m.getHeader().setID(id);
        if (opt != null) {
            m.addRecord(opt, Section.ADDITIONAL);
        }
        return m.toWire();
    }

    @ParameterizedTest
    @ValueSource(strings = {"batched", "channels"})
    void aBurstOfQueriesFromOneSocketIsAnsweredOneForOne(String path) throws Exception {
        DnsFixture dns = server(path);
        int n = 200;
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(3000);
            s.setReceiveBufferSize(1 << 20);
            for (int id = 1; id <= n; id++) {
                byte[] q = query(id, "www.example.test.", null);
                s.send(new DatagramPacket(q, q.length, dns.address()));
            }
            Set<Integer> ids = new HashSet<>();
            byte[] buf = new byte[4096];
            while (ids.size() < n) {
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                s.receive(in);
                Message m = new Message(java.util.Arrays.copyOf(in.getData(), in.getLength()));
                assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
                assertThat(m.getSection(Section.ANSWER)).anyMatch(r -> r instanceof ARecord);
                ids.add(m.getHeader().getID());
            }
            assertThat(ids).hasSize(n);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"batched", "channels"})
    void aLargeQueryBelowTheReadLimitIsAnswered(String path) throws Exception {
        DnsFixture dns = server(path);
        // An EDNS option that pads the query to about 1,500 bytes, still whole after a batched read.
        EDNSOption padding = new GenericEDNSOption(12, new byte[1400]);
        OPTRecord opt = new OPTRecord(1232, 0, 0, 0, List.of(padding));
        byte[] q = query(7, "www.example.test.", opt);
        assertThat(q.length).isBetween(1400, DnsListener.MAX_UDP_QUERY);
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(3000);
            s.send(new DatagramPacket(q, q.length, dns.address()));
            DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
            s.receive(in);
            Message m = new Message(java.util.Arrays.copyOf(in.getData(), in.getLength()));
            assertThat(m.getHeader().getID()).isEqualTo(7);
            assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(m.getSection(Section.ANSWER)).anyMatch(r -> r instanceof ARecord);
        }
    }
}
