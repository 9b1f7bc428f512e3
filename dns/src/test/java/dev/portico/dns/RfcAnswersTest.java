package dev.portico.dns;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The answers the RFCs prescribe where dnsjava's zone lookup alone goes wrong: empty
 * non-terminals, wildcards, DNAME, DS at a delegation, CNAME loops and EDNS flags. The zones are
 * the ones {@link NsdComparisonTest} serves from NSD as well.
 */
@Timeout(20)
class RfcAnswersTest {

    static final List<String> ZONES = List.of("cmp.test", "other.test", "child.cmp.test");

    @TempDir
    static Path dir;
    static EmbeddedDns dns;

    @BeforeAll
    static void start() throws Exception {
        dns = EmbeddedDns.start(config(dir).build(), 2);
    }

    @AfterAll
    static void stop() {
        dns.close();
    }

    /** A config serving copies of the comparison zones, written into {@code dir}, on 127.0.0.1 port 0. */
    static DnsConfig.Builder config(Path dir) throws IOException {
        DnsConfig.Builder b = DnsConfig.builder().listen("127.0.0.1:0").rrl(RrlConfig.OFF);
        for (String zone : ZONES) {
            Path file = dir.resolve(zone + ".zone");
            try (var in = RfcAnswersTest.class.getResourceAsStream("/nsd/" + zone + ".zone")) {
                java.nio.file.Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            b.zone(zone, file);
        }
        return b;
    }

    private static Message query(String name, int type, boolean tcp) throws IOException {
        return query(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)), tcp);
    }

    private static Message query(String name, int type) throws IOException {
        return query(name, type, false);
    }

    private static Message query(Message q, boolean tcp) throws IOException {
        SimpleResolver r = new SimpleResolver(dns.address());
        r.setTCP(tcp);
        r.setTimeout(Duration.ofSeconds(3));
        if (q.getOPT() == null) {
            r.setEDNS(0, 1232, 0, List.of());
        }
        return r.send(q);
    }

    private static List<String> answers(Message m) {
        return m.getSection(Section.ANSWER).stream()
                .map(r -> r.getName() + " " + r.getTTL() + " " + Type.string(r.getType()) + " " + r.rdataToString())
                .toList();
    }

    private static void assertNodata(Message m) {
        assertThat(m.getRcode()).as("rcode").isEqualTo(Rcode.NOERROR);
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        assertThat(m.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"b.c.cmp.test.", "c.cmp.test.", "_tcp.www.cmp.test.", "y.x.cmp.test.", "under.wild.cmp.test.", "ent.cmp.test."})
    void emptyNonTerminalsAreNodata(String name) throws Exception {
        assertNodata(query(name, Type.A));
        assertNodata(query(name, Type.TXT, true));
    }

    @Test
    void namesAboveDynamicRecordsOfTheConfigAreEmptyNonTerminals() throws Exception {
        Path own = java.nio.file.Files.createDirectories(dir.resolve("dynamic"));
        DynamicRecordSpec spec = DynamicRecordSpec.of("a.dyn.www.cmp.test", 60,
                dev.portico.upstream.health.HealthCheckConfig.builder(dev.portico.upstream.health.HealthCheckType.NONE).build(),
                "192.0.2.40");
        try (EmbeddedDns withDynamic = EmbeddedDns.start(config(own).dynamic(spec).build(), 1)) {
            SimpleResolver r = new SimpleResolver(withDynamic.address());
            r.setTimeout(Duration.ofSeconds(3));
            Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString("dyn.www.cmp.test."), Type.A, DClass.IN)));
            assertNodata(m);
            Message below = r.send(Message.newQuery(Record.newRecord(Name.fromString("a.dyn.www.cmp.test."), Type.A, DClass.IN)));
            assertThat(answers(below)).containsExactly("a.dyn.www.cmp.test. 60 A 192.0.2.40");
        }
    }

    @Test
    void namesBelowAnEmptyNonTerminalStillDoNotExist() throws Exception {
        assertThat(query("nope.b.c.cmp.test.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(query("x.under.wild.cmp.test.", Type.A).getRcode())
                .as("under.wild is the closest encloser and has no wildcard").isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void wildcardAnswersCarryTheQuestionsName() throws Exception {
        assertThat(answers(query("foo.wild.cmp.test.", Type.A))).containsExactly("foo.wild.cmp.test. 3600 A 192.0.2.10");
        assertThat(answers(query("a.b.wild.cmp.test.", Type.TXT))).containsExactly("a.b.wild.cmp.test. 3600 TXT \"wild\"");
    }

    @Test
    void wildcardWithoutTheTypeIsNodata() throws Exception {
        assertNodata(query("foo.wild.cmp.test.", Type.AAAA));
        assertNodata(query("anything.cmp.test.", Type.A));
    }

    @Test
    void noSynthesisBelowAnExistingName() throws Exception {
        Message m = query("x.explicit.wild.cmp.test.", Type.A);
        assertThat(m.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void wildcardCnameIsFollowed() throws Exception {
        assertThat(answers(query("x.cwild.cmp.test.", Type.A))).containsExactly(
                "x.cwild.cmp.test. 3600 CNAME www.cmp.test.", "www.cmp.test. 3600 A 192.0.2.1",
                "www.cmp.test. 3600 A 192.0.2.2");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void dnameSynthesisesACnameAndFollowsIt(boolean tcp) throws Exception {
        Message m = query("www.dn.cmp.test.", Type.A, tcp);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(answers(m)).containsExactly("dn.cmp.test. 3600 DNAME target.cmp.test.",
                "www.dn.cmp.test. 3600 CNAME www.target.cmp.test.", "www.target.cmp.test. 3600 A 192.0.2.20");
        assertThat(answers(query("host.dnother.cmp.test.", Type.A))).containsExactly(
                "dnother.cmp.test. 3600 DNAME other.test.", "host.dnother.cmp.test. 3600 CNAME host.other.test.",
                "host.other.test. 600 A 198.51.100.1");
    }

    @Test
    void dnameToAMissingNameInOurZonesIsNxdomain() throws Exception {
        Message m = query("nope.dn.cmp.test.", Type.A);
        assertThat(m.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(answers(m)).containsExactly("dn.cmp.test. 3600 DNAME target.cmp.test.",
                "nope.dn.cmp.test. 3600 CNAME nope.target.cmp.test.");
        Message outside = query("www.dnout.cmp.test.", Type.A);
        assertThat(outside.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answers(outside)).hasSize(2);
    }

    @Test
    void dnameRewritingPastTheLongestNameIsYxdomain() throws Exception {
        String l = "l".repeat(60);
        Message m = query(l + "." + l + "." + l + ".dnlong.cmp.test.", Type.A);
        assertThat(m.getRcode()).isEqualTo(Rcode.YXDOMAIN);
        assertThat(m.getSection(Section.ANSWER)).singleElement().satisfies(r -> assertThat(r.getType()).isEqualTo(Type.DNAME));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void dsAtADelegationIsAnsweredByTheParent(boolean tcp) throws Exception {
        Message m = query("sub.cmp.test.", Type.DS, tcp);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(m.getSection(Section.ANSWER)).singleElement().satisfies(r -> assertThat(r.getType()).isEqualTo(Type.DS));
        assertNodata(query("nods.cmp.test.", Type.DS));
        Message served = query("child.cmp.test.", Type.DS, tcp);
        assertThat(served.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(answers(served)).singleElement().asString().contains("DS 54321");
        Message below = query("x.sub.cmp.test.", Type.DS);
        assertThat(below.getHeader().getFlag(Flags.AA)).as("below the cut: a referral").isFalse();
    }

    @Test
    void cnameLoopsListEachRecordOnce() throws Exception {
        Message m = query("loop1.cmp.test.", Type.A);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answers(m)).containsExactly("loop1.cmp.test. 3600 CNAME loop2.cmp.test.",
                "loop2.cmp.test. 3600 CNAME loop1.cmp.test.");
        assertThat(answers(query("self.cmp.test.", Type.A))).containsExactly("self.cmp.test. 3600 CNAME self.cmp.test.");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theDoBitIsCopiedAndCachedApart(boolean tcp) throws Exception {
        for (int round = 0; round < 2; round++) {
            Message plain = Message.newQuery(Record.newRecord(Name.fromString("www.cmp.test."), Type.A, DClass.IN));
            plain.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
            assertThat(query(plain, tcp).getOPT().getFlags() & ExtendedFlags.DO).as("no DO asked").isZero();
            Message withDo = Message.newQuery(Record.newRecord(Name.fromString("www.cmp.test."), Type.A, DClass.IN));
            withDo.addRecord(new OPTRecord(1232, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
            assertThat(query(withDo, tcp).getOPT().getFlags() & ExtendedFlags.DO).as("DO asked").isNotZero();
        }
    }

    @Test
    void unknownEdnsVersionIsBadversEvenWhenTheAnswerIsCached() throws Exception {
        assertThat(query("mail.cmp.test.", Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
        Message q = Message.newQuery(Record.newRecord(Name.fromString("mail.cmp.test."), Type.A, DClass.IN));
        q.addRecord(new OPTRecord(1232, 0, 1), Section.ADDITIONAL);
        Message m = query(q, false);
        assertThat(m.getRcode()).isEqualTo(Rcode.BADVERS);
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
    }
}
