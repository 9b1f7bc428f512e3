package dev.portico.dns;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.GenericEDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** EDNS Client Subnet (RFC 7871) on answers that do not depend on the client, and malformed options. */
@Timeout(60)
class ClientSubnetTest {

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

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void staticAnswersEchoTheOptionWithScopeZero(boolean tcp) throws Exception {
        for (int i = 0; i < 3; i++) {
            Message m = EcsQueries.query(dns, "www.example.test.", Type.A, tcp, "127.0.1.0/24");
            assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(EcsQueries.addresses(m)).as("query %d (later ones come from the cache)", i)
                    .containsExactlyInAnyOrder("192.0.2.1", "192.0.2.2");
            ClientSubnetOption ecs = EcsQueries.ecs(m);
            assertThat(ecs).isNotNull();
            assertThat(ecs.getFamily()).isEqualTo(1);
            assertThat(ecs.getSourcePrefixLength()).isEqualTo(24);
            assertThat(ecs.getScopePrefixLength()).isZero();
            assertThat(ecs.getAddress()).isEqualTo(InetAddress.getByName("127.0.1.0"));
        }
        Message v6 = EcsQueries.query(dns, "www.example.test.", Type.AAAA, tcp, "2001:db8:1::/48");
        assertThat(EcsQueries.ecs(v6).getFamily()).isEqualTo(2);
        assertThat(EcsQueries.ecs(v6).getSourcePrefixLength()).isEqualTo(48);
        assertThat(EcsQueries.ecs(v6).getAddress()).isEqualTo(InetAddress.getByName("2001:db8:1::"));
    }

    @Test
    void queriesWithoutTheOptionGetNoneBackAndNegativeAnswersKeepIt() throws Exception {
        Message plain = EcsQueries.query(dns, "www.example.test.", Type.A, false, null);
        assertThat(plain.getOPT()).isNotNull();
        assertThat(EcsQueries.ecs(plain)).isNull();
        Message nx = EcsQueries.query(dns, "nope.example.test.", Type.A, false, "127.0.0.0/24");
        assertThat(nx.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(EcsQueries.ecs(nx).getScopePrefixLength()).isZero();
        Message zero = EcsQueries.query(dns, "www.example.test.", Type.A, false, "0.0.0.0/0");
        assertThat(EcsQueries.ecs(zero).getSourcePrefixLength()).isZero();
    }

    @Test
    void aTruncatedAnswerStillCarriesTheOption() throws Exception {
        byte[] q = withOptions(List.of(EcsQueries.option("127.0.0.0/24")), "big.example.test.", Type.TXT);
        Message m = new Message(udp(q));
        assertThat(m.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(EcsQueries.ecs(m)).isNotNull();
        Message full = EcsQueries.query(dns, "big.example.test.", Type.TXT, true, "127.0.0.0/24");
        assertThat(full.getSection(Section.ANSWER)).hasSize(8);
        assertThat(EcsQueries.ecs(full).getSourcePrefixLength()).isEqualTo(24);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "0003 18 00 7f0001",          // unknown family
        "0001 21 00 7f00010000",      // /33 for IPv4
        "0002 81 00 20010db8000000000000000000000000 00", // /129 for IPv6
        "0001 18 08 7f0001",          // scope set in a query
        "0001 10 00 7f0001",          // /16 with three address octets
        "0001 18 00 7f00",            // /24 with two address octets
        "0001 14 00 7f001f",          // /20 with bits set past the prefix
        "0001 18",                    // shorter than the fixed part
    })
    void malformedClientSubnetIsFormerr(String hex) throws Exception {
        byte[] data = HexFormat.of().parseHex(hex.replaceAll("\\s+|//.*", ""));
        byte[] q = withOptions(List.of(new GenericEDNSOption(EDNSOption.Code.CLIENT_SUBNET, data)), "www.example.test.", Type.A);
        Message m = new Message(udp(q));
        assertThat(m.getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(m.getHeader().getID()).isEqualTo((q[0] & 0xff) << 8 | q[1] & 0xff);
        assertThat(new Message(tcp(q)).getRcode()).as("over TCP too").isEqualTo(Rcode.FORMERR);
    }

    @Test
    void twoClientSubnetOptionsAreFormerr() throws Exception {
        byte[] q = withOptions(List.of(EcsQueries.option("127.0.0.0/24"), EcsQueries.option("127.0.1.0/24")),
                "www.example.test.", Type.A);
        assertThat(new Message(udp(q)).getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @Test
    void anOptionOverrunningTheOptDataIsFormerr() throws Exception {
        byte[] q = withOptions(List.of(EcsQueries.option("127.0.0.0/24")), "www.example.test.", Type.A);
        // The option is last: code(2) length(2) family(2) source scope address(3). Claim 9 octets instead of 7.
        q[q.length - 9] = 9;
        assertThat(new Message(Arrays.copyOf(udp(q), 12)).getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @Test
    void otherOptionsAreIgnored() throws Exception {
        byte[] q = withOptions(List.of(new GenericEDNSOption(65001, new byte[] {1, 2, 3}),
                EcsQueries.option("127.0.0.0/25")), "www.example.test.", Type.A);
        Message m = new Message(udp(q));
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(EcsQueries.ecs(m).getSourcePrefixLength()).isEqualTo(25);
    }

    static byte[] withOptions(List<EDNSOption> options, String name, int type) throws Exception {
        Message m = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        m.addRecord(new OPTRecord(1232, 0, 0, 0, options), Section.ADDITIONAL);
        return m.toWire();
    }

    private static byte[] udp(byte[] packet) throws Exception {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(3000);
            s.send(new DatagramPacket(packet, packet.length, dns.address()));
            byte[] buf = new byte[65_535];
            DatagramPacket in = new DatagramPacket(buf, buf.length);
            s.receive(in);
            return Arrays.copyOf(buf, in.getLength());
        }
    }

    private static byte[] tcp(byte[] packet) throws Exception {
        try (Socket s = new Socket(dns.address().getAddress(), dns.address().getPort())) {
            s.setSoTimeout(3000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeShort(packet.length);
            out.write(packet);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] answer = new byte[in.readUnsignedShort()];
            in.readFully(answer);
            return answer;
        }
    }
}
