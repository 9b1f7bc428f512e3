package dev.portico.dns;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CAARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every record type and answer shape, over UDP and TCP, with dnsjava's resolver. */
@Timeout(20)
class AuthoritativeAnswersTest {

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

    private static List<Record> answers(Message m) {
        return m.getSection(Section.ANSWER);
    }

    private static void assertAuthoritative(Message m) {
        assertThat(m.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void answersAAndAaaa(boolean tcp) throws Exception {
        Message a = dns.query("www.example.test.", Type.A, tcp);
        assertAuthoritative(a);
        assertThat(answers(a)).extracting(r -> ((ARecord) r).getAddress().getHostAddress())
                .containsExactlyInAnyOrder("192.0.2.1", "192.0.2.2");
        assertThat(answers(a)).allSatisfy(r -> assertThat(r.getTTL()).isEqualTo(3600));
        Message aaaa = dns.query("www.example.test.", Type.AAAA, tcp);
        assertAuthoritative(aaaa);
        assertThat(answers(aaaa)).singleElement()
                .satisfies(r -> assertThat(((AAAARecord) r).getAddress()).isEqualTo(InetAddress.getByName("2001:db8::1")));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void answersMxTxtCaaSrvPtrSoa(boolean tcp) throws Exception {
        Message mx = dns.query("example.test.", Type.MX, tcp);
        assertAuthoritative(mx);
        assertThat(answers(mx)).singleElement().satisfies(r -> {
            assertThat(((MXRecord) r).getPriority()).isEqualTo(10);
            assertThat(((MXRecord) r).getTarget()).isEqualTo(Name.fromString("mail.example.test."));
        });
        Message txt = dns.query("example.test.", Type.TXT, tcp);
        assertThat(answers(txt)).singleElement().satisfies(r -> assertThat(((TXTRecord) r).getStrings())
                .containsExactly("v=spf1 -all"));
        Message caa = dns.query("example.test.", Type.CAA, tcp);
        assertThat(answers(caa)).singleElement().satisfies(r -> {
            assertThat(((CAARecord) r).getTag()).isEqualTo("issue");
            assertThat(((CAARecord) r).getValue()).isEqualTo("letsencrypt.org");
        });
        Message srv = dns.query("_sip._tcp.example.test.", Type.SRV, tcp);
        assertAuthoritative(srv);
        assertThat(answers(srv)).singleElement().satisfies(r -> {
            SRVRecord s = (SRVRecord) r;
            assertThat(List.of(s.getPriority(), s.getWeight(), s.getPort())).containsExactly(10, 60, 5060);
            assertThat(s.getTarget()).isEqualTo(Name.fromString("sip.example.test."));
        });
        Message ptr = dns.query("1.2.0.192.in-addr.arpa.", Type.PTR, tcp);
        assertAuthoritative(ptr);
        assertThat(answers(ptr)).singleElement().satisfies(r -> assertThat(((PTRRecord) r).getTarget())
                .isEqualTo(Name.fromString("www.example.test.")));
        Message soa = dns.query("example.test.", Type.SOA, tcp);
        assertAuthoritative(soa);
        assertThat(answers(soa)).singleElement().satisfies(r -> {
            assertThat(((SOARecord) r).getSerial()).isEqualTo(2024010101L);
            assertThat(r.getTTL()).isEqualTo(3600);
        });
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void nsAnswersCarryGlue(boolean tcp) throws Exception {
        Message ns = dns.query("example.test.", Type.NS, tcp);
        assertAuthoritative(ns);
        assertThat(answers(ns)).extracting(r -> ((NSRecord) r).getTarget().toString())
                .containsExactlyInAnyOrder("ns1.example.test.", "ns2.example.test.");
        assertThat(ns.getSection(Section.ADDITIONAL)).filteredOn(r -> r.getType() != Type.OPT)
                .extracting(Record::rdataToString)
                .containsExactlyInAnyOrder("192.0.2.53", "192.0.2.54", "2001:db8:0:0:0:0:0:54");
    }

    @Test
    void delegationGetsAReferralWithGlue() throws Exception {
        Message m = dns.query("host.sub.example.test.", Type.A);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(answers(m)).isEmpty();
        assertThat(m.getSection(Section.AUTHORITY)).singleElement()
                .satisfies(r -> assertThat(((NSRecord) r).getTarget()).isEqualTo(Name.fromString("ns.sub.example.test.")));
        assertThat(m.getSection(Section.ADDITIONAL)).filteredOn(r -> r.getType() == Type.A)
                .extracting(Record::rdataToString).containsExactly("192.0.2.99");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void cnamesAreChasedInsideOurZones(boolean tcp) throws Exception {
        Message m = dns.query("chain.example.test.", Type.A, tcp);
        assertAuthoritative(m);
        List<Record> an = answers(m);
        assertThat(an).hasSize(4);
        assertThat(((CNAMERecord) an.get(0)).getTarget()).isEqualTo(Name.fromString("alias.example.test."));
        assertThat(((CNAMERecord) an.get(1)).getTarget()).isEqualTo(Name.fromString("www.example.test."));
        assertThat(an.subList(2, 4)).extracting(Record::rdataToString).containsExactlyInAnyOrder("192.0.2.1", "192.0.2.2");
    }

    @Test
    void cnameLeavingOurZonesStopsThere() throws Exception {
        Message m = dns.query("outside.example.test.", Type.A);
        assertAuthoritative(m);
        assertThat(answers(m)).singleElement().satisfies(r -> assertThat(((CNAMERecord) r).getTarget())
                .isEqualTo(Name.fromString("www.elsewhere.invalid.")));
    }

    @Test
    void cnameToAMissingNameIsNxdomainWithTheChainKept() throws Exception {
        Message m = dns.query("dangling.example.test.", Type.A);
        assertThat(m.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(answers(m)).singleElement().isInstanceOf(CNAMERecord.class);
        assertThat(m.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class);
    }

    @Test
    void cnameLoopListsEachRecordOnce() throws Exception {
        Message m = dns.query("loop1.example.test.", Type.A);
        assertAuthoritative(m);
        assertThat(answers(m)).extracting(r -> r.getName() + " " + r.rdataToString())
                .containsExactly("loop1.example.test. loop2.example.test.", "loop2.example.test. loop1.example.test.");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void nxdomainCarriesTheSoaWithTheNegativeTtl(boolean tcp) throws Exception {
        Message m = dns.query("nope.example.test.", Type.A, tcp);
        assertThat(m.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(answers(m)).isEmpty();
        assertThat(m.getSection(Section.AUTHORITY)).singleElement().satisfies(r -> {
            assertThat(r).isInstanceOf(SOARecord.class);
            assertThat(r.getTTL()).as("min(SOA TTL 3600, MINIMUM 300)").isEqualTo(300);
        });
        Message reverse = dns.query("9.2.0.192.in-addr.arpa.", Type.PTR, tcp);
        assertThat(reverse.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(reverse.getSection(Section.AUTHORITY)).singleElement()
                .satisfies(r -> assertThat(r.getTTL()).as("min(SOA TTL 3600, MINIMUM 600)").isEqualTo(600));
    }

    @Test
    void nodataIsNoerrorWithTheSoa() throws Exception {
        Message m = dns.query("onlytxt.example.test.", Type.A);
        assertAuthoritative(m);
        assertThat(answers(m)).isEmpty();
        assertThat(m.getSection(Section.AUTHORITY)).singleElement().satisfies(r -> {
            assertThat(((SOARecord) r).getSerial()).isEqualTo(2024010101L);
            assertThat(r.getTTL()).isEqualTo(300);
        });
    }

    @Test
    void namesOutsideOurZonesAreRefused() throws Exception {
        Message m = dns.query("www.example.com.", Type.A);
        assertThat(m.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(m.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(answers(m)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void matchingIgnoresCaseAndTheAnswerKeepsTheQueryCase(boolean tcp) throws Exception {
        for (int i = 0; i < 2; i++) { // the second round is answered from the cache
            Message m = dns.query("WwW.ExAmPlE.tEsT.", Type.A, tcp);
            assertAuthoritative(m);
            assertThat(m.getQuestion().getName().toString()).isEqualTo("WwW.ExAmPlE.tEsT.");
            assertThat(answers(m)).hasSize(2);
            Message lower = dns.query("www.example.test.", Type.A, tcp);
            assertThat(lower.getQuestion().getName().toString()).isEqualTo("www.example.test.");
        }
    }

    @Test
    void anyGetsOneRrset() throws Exception {
        Message apex = dns.query("example.test.", Type.ANY);
        assertAuthoritative(apex);
        assertThat(answers(apex)).extracting(Record::getType).containsOnly(Type.MX).hasSize(1);
        Message www = dns.query("www.example.test.", Type.ANY);
        assertThat(answers(www)).extracting(Record::getType).containsOnly(Type.A).hasSize(2);
    }

    @Test
    void oversizedUdpAnswersAreTruncatedAndTcpGetsThemWhole() throws Exception {
        SimpleResolver udp = dns.resolver(false);
        udp.setIgnoreTruncation(true);
        Message cut = udp.send(Message.newQuery(Record.newRecord(Name.fromString("big.example.test."), Type.TXT, DClass.IN)));
        assertThat(cut.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(answers(cut)).as("whole RRsets or nothing").isEmpty();
        assertThat(cut.toWire().length).isLessThanOrEqualTo(1232);

        Message whole = dns.query("big.example.test.", Type.TXT, true);
        assertThat(whole.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(answers(whole)).hasSize(8);

        Message retried = dns.query("big.example.test.", Type.TXT, false);
        assertThat(answers(retried)).as("the resolver retried over TCP").hasSize(8);
    }

    @Test
    void withoutEdnsUdpAnswersStopAt512Bytes() throws Exception {
        SimpleResolver udp = dns.resolver(false);
        udp.setEDNS(-1);
        udp.setIgnoreTruncation(true);
        Message m = udp.send(Message.newQuery(Record.newRecord(Name.fromString("big.example.test."), Type.TXT, DClass.IN)));
        assertThat(m.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(m.getOPT()).isNull();
        assertThat(m.toWire().length).isLessThanOrEqualTo(512);
    }

    @Test
    void ednsAnswersAdvertiseTheConfiguredPayload() throws Exception {
        SimpleResolver udp = dns.resolver(false);
        udp.setEDNS(0, 4096, 0, List.of());
        udp.setIgnoreTruncation(true);
        Message m = udp.send(Message.newQuery(Record.newRecord(Name.fromString("big.example.test."), Type.TXT, DClass.IN)));
        OPTRecord opt = m.getOPT();
        assertThat(opt).isNotNull();
        assertThat(opt.getPayloadSize()).isEqualTo(DnsConfig.DEFAULT_EDNS_MAX_PAYLOAD);
        assertThat(m.getHeader().getFlag(Flags.TC)).as("4096 asked, capped at 1232").isTrue();
    }

    @Test
    void answersUseNameCompression() throws Exception {
        Message m = dns.query("www.example.test.", Type.A);
        // Header 12, question 18 + 4, two A records whose owner is a 2-byte pointer (2+10+4 each), OPT 11.
        assertThat(m.numBytes()).isEqualTo(12 + 18 + 4 + 2 * 16 + 11);
    }
}
