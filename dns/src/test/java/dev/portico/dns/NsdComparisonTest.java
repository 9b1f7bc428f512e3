package dev.portico.dns;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * NSD as the reference: the same zones served by NSD and by Portico, the same few hundred
 * questions sent to both over UDP and TCP, and the answers compared. They must agree on the rcode,
 * the AA, TC, RD and RA flags, the EDNS OPT record and its DO bit, and the answer and authority
 * sections as sets of records with their TTLs; the glue of referrals must be the same, and every
 * other additional record must be one NSD gives, there or when asked for its name. Where the
 * RFCs leave a choice the test allows either: which RRset answers ANY (RFC 8482), which other
 * additional data is added (Portico adds the addresses of name servers in another zone it serves),
 * record order, and the rcode after a CNAME to a missing name in our zones (RFC 6604 says
 * NXDOMAIN, which Portico answers; NSD answers NOERROR).
 *
 * <p>NSD must be installed (Debian's {@code nsd}; {@code .ci/run} installs it): without it the test
 * fails, it does not skip.
 */
@Timeout(180)
class NsdComparisonTest {

    private static final String LONG = "l".repeat(60);

    @TempDir
    static Path dir;
    static NsdProcess nsd;
    static EmbeddedDns portico;

    @BeforeAll
    static void start() throws Exception {
        Path binary = NsdProcess.binary();
        assertThat(binary).as("NSD is not installed, but this test compares Portico's answers with NSD's:"
                + " apt-get install nsd").isNotNull();
        portico = EmbeddedDns.start(RfcAnswersTest.config(dir).build(), 2);
        Map<String, Path> zones = new LinkedHashMap<>();
        for (String zone : RfcAnswersTest.ZONES) {
            zones.put(zone, dir.resolve(zone + ".zone"));
        }
        Path nsdDir = Files.createDirectories(dir.resolve("nsd"));
        nsd = NsdProcess.start(binary, nsdDir, zones);
    }

    @AfterAll
    static void stop() {
        if (nsd != null) {
            nsd.close();
        }
        if (portico != null) {
            portico.close();
        }
    }

    /** One question with the way it is asked. */
    record Question(String name, int type, int variant, boolean rd) {

        Message message() throws IOException {
            Message m = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
            if (!rd) {
                m.getHeader().unsetFlag(Flags.RD);
            }
            switch (variant) {
                case 0 -> { }
                case 1 -> m.addRecord(new OPTRecord(512, 0, 0), Section.ADDITIONAL);
                case 2 -> m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
                case 3 -> m.addRecord(new OPTRecord(1232, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
                case 4 -> m.addRecord(new OPTRecord(4096, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
                default -> m.addRecord(new OPTRecord(1232, 0, 1, ExtendedFlags.DO), Section.ADDITIONAL);
            }
            return m;
        }

        @Override
        public String toString() {
            String[] edns = {"no EDNS", "EDNS 512", "EDNS 1232", "EDNS 1232 DO", "EDNS 4096 DO", "EDNS version 1"};
            return name + " " + Type.string(type) + " (" + edns[variant] + (rd ? ", RD" : "") + ")";
        }
    }

    static List<Question> questions() {
        List<String> cmp = List.of("", "www", "WwW", "mail", "ns1", "ns2", "c", "b.c", "a.b.c", "nope.b.c", "x", "y.x",
                "z.y.x", "_tcp.www", "_443._tcp.www", "nope", "nope.www", "wild", "foo.wild", "a.b.wild",
                "explicit.wild", "x.explicit.wild", "under.wild", "deep.under.wild", "x.under.wild", "*.wild",
                "cwild", "x.cwild", "a.b.cwild", "x.dwild", "anything", "a.b.anything", "alias", "chain", "chain3",
                "dangling", "outside", "toother", "tosub", "loop1", "self", "dn", "www.dn", "nope.dn", "a.www.dn",
                "target", "www.target", "dnother", "host.dnother", "b.dnother", "a.b.dnother", "x.dnother",
                "www.dnout", LONG + "." + LONG + "." + LONG + ".dnlong", "short.dnlong", "sub", "ns.sub", "ns2.sub",
                "host.sub", "x.y.sub", "ent", "deleg.ent", "x.deleg.ent", "nods", "host.nods", "child", "host.child", "nope.child", "big");
        List<String> names = new ArrayList<>();
        for (String n : cmp) {
            names.add(n.isEmpty() ? "cmp.test." : n + ".cmp.test.");
        }
        names.addAll(List.of("other.test.", "host.other.test.", "www.other.test.", "b.other.test.",
                "a.b.other.test.", "nope.other.test.", "www.example.invalid.", "test."));
        int[] types = {Type.A, Type.AAAA, Type.TXT, Type.NS, Type.CNAME, Type.DS, Type.ANY};
        List<Question> out = new ArrayList<>();
        int i = 0;
        for (String name : names) {
            for (int type : types) {
                out.add(new Question(name, type, i % 5, i % 3 == 0));
                i++;
            }
        }
        for (String name : List.of("cmp.test.", "child.cmp.test.", "other.test.")) {
            out.add(new Question(name, Type.SOA, 2, false));
            out.add(new Question(name, Type.MX, 0, false));
        }
        out.add(new Question("_443._tcp.www.cmp.test.", Type.TLSA, 3, false));
        out.add(new Question("dn.cmp.test.", Type.DNAME, 2, false));
        out.add(new Question("www.dn.cmp.test.", Type.DNAME, 2, false));
        out.add(new Question("anything.cmp.test.", Type.MX, 2, false));
        for (int variant = 0; variant <= 5; variant++) {
            out.add(new Question("big.cmp.test.", Type.TXT, variant, false));
            out.add(new Question("www.cmp.test.", Type.A, variant, true));
            out.add(new Question("nope.cmp.test.", Type.A, variant, false));
        }
        return out;
    }

    @Test
    void answersAgreeWithNsd() throws Exception {
        List<Question> questions = questions();
        assertThat(questions).hasSizeGreaterThan(300);
        List<String> differences = new ArrayList<>();
        for (boolean tcp : new boolean[] {false, true}) {
            for (Question q : questions) {
                Message expected = send(nsd.address(), q, tcp);
                Message actual = send(portico.address(), q, tcp);
                for (String d : compare(q, expected, actual)) {
                    differences.add((tcp ? "TCP " : "UDP ") + q + ": " + d);
                }
            }
        }
        assertThat(differences).as("answers that differ from NSD's").isEmpty();
    }

    private static Message send(InetSocketAddress server, Question q, boolean tcp) throws IOException {
        SimpleResolver r = new SimpleResolver(server);
        r.setTCP(tcp);
        r.setIgnoreTruncation(true);
        r.setTimeout(Duration.ofSeconds(5));
        return r.send(q.message());
    }

    static List<String> compare(Question q, Message nsd, Message portico) {
        List<String> d = new ArrayList<>();
        int rcode = portico.getRcode();
        if (rcode != nsd.getRcode() && !cnameToMissingName(nsd, portico)) {
            d.add("rcode " + Rcode.string(rcode) + ", NSD " + Rcode.string(nsd.getRcode()));
        }
        for (int flag : new int[] {Flags.AA, Flags.TC, Flags.RD, Flags.RA}) {
            if (portico.getHeader().getFlag(flag) != nsd.getHeader().getFlag(flag)) {
                d.add("flag " + Flags.string(flag) + " " + portico.getHeader().getFlag(flag) + ", NSD "
                        + nsd.getHeader().getFlag(flag));
            }
        }
        OPTRecord po = portico.getOPT();
        OPTRecord no = nsd.getOPT();
        if ((po == null) != (no == null)) {
            d.add("OPT " + (po != null) + ", NSD " + (no != null));
        } else if (po != null && nsd.getRcode() != Rcode.BADVERS
                && (po.getFlags() & ExtendedFlags.DO) != (no.getFlags() & ExtendedFlags.DO)) {
            d.add("DO bit " + (po.getFlags() & ExtendedFlags.DO) + ", NSD " + (no.getFlags() & ExtendedFlags.DO));
        }
        if (nsd.getHeader().getFlag(Flags.TC) && portico.getHeader().getFlag(Flags.TC)) {
            return d;
        }
        if (q.type() == Type.ANY) {
            if (!records(portico, Section.ANSWER).equals(records(nsd, Section.ANSWER)) && !sameChainToAny(nsd, portico)) {
                d.add("ANY answer " + records(portico, Section.ANSWER) + ", NSD " + records(nsd, Section.ANSWER));
            }
        } else if (!records(portico, Section.ANSWER).equals(records(nsd, Section.ANSWER))) {
            d.add("answer " + records(portico, Section.ANSWER) + ", NSD " + records(nsd, Section.ANSWER));
        }
        if (!records(portico, Section.AUTHORITY).equals(records(nsd, Section.AUTHORITY))) {
            d.add("authority " + records(portico, Section.AUTHORITY) + ", NSD " + records(nsd, Section.AUTHORITY));
        }
        Set<String> nsdAdditional = additional(nsd);
        for (Record r : portico.getSection(Section.ADDITIONAL)) {
            if (r.getType() != Type.OPT && !nsdAdditional.contains(text(r)) && !nsdAnswers(r)) {
                d.add("additional record " + text(r) + " is not what NSD answers for its name");
            }
        }
        Set<String> glue = glue(nsd);
        if (!glue.isEmpty() && !glue.equals(glue(portico))) {
            d.add("glue " + glue(portico) + ", NSD " + glue);
        }
        return d;
    }

    /**
     * Whether two answers to ANY lead through the same aliases to one RRset each of the same name
     * (RFC 8482 lets the server choose which).
     */
    private static boolean sameChainToAny(Message nsd, Message portico) {
        List<Record> p = portico.getSection(Section.ANSWER);
        List<Record> n = nsd.getSection(Section.ANSWER);
        if (p.isEmpty() || n.isEmpty()) {
            return false;
        }
        Name last = p.getLast().getName();
        if (!n.getLast().getName().equals(last)
                || p.stream().filter(r -> r.getName().equals(last)).map(Record::getType).distinct().count() != 1) {
            return false;
        }
        return records(p.stream().filter(r -> !r.getName().equals(last)).toList())
                .equals(records(n.stream().filter(r -> !r.getName().equals(last)).toList()));
    }

    /**
     * Whether the two differ only in the rcode after a CNAME chain that ends at a name missing from
     * our zones: NXDOMAIN from Portico (RFC 6604 §2.1: the rcode of the last name), NOERROR from NSD.
     */
    private static boolean cnameToMissingName(Message nsd, Message portico) {
        List<Record> an = portico.getSection(Section.ANSWER);
        return portico.getRcode() == Rcode.NXDOMAIN && nsd.getRcode() == Rcode.NOERROR && !an.isEmpty()
                && an.getLast().getType() == Type.CNAME;
    }

    /** The address records that a referral's authority section needs: those of its NS names. */
    private static Set<String> glue(Message m) {
        Set<String> targets = new TreeSet<>();
        for (Record r : m.getSection(Section.AUTHORITY)) {
            if (r instanceof NSRecord ns && m.getSection(Section.ANSWER).isEmpty()) {
                targets.add(lower(ns.getTarget()));
            }
        }
        Set<String> out = new TreeSet<>();
        for (Record r : m.getSection(Section.ADDITIONAL)) {
            if ((r.getType() == Type.A || r.getType() == Type.AAAA) && targets.contains(lower(r.getName()))) {
                out.add(text(r));
            }
        }
        return out;
    }

    /**
     * Whether NSD gives {@code r} when asked for its name and type: additional data that NSD leaves
     * out (addresses of name servers from another zone we serve) must still be right.
     */
    private static boolean nsdAnswers(Record r) {
        try {
            SimpleResolver resolver = new SimpleResolver(nsd.address());
            resolver.setTCP(true);
            resolver.setTimeout(Duration.ofSeconds(5));
            Message m = resolver.send(Message.newQuery(Record.newRecord(r.getName(), r.getType(), DClass.IN)));
            return records(m, Section.ANSWER).contains(text(r));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The additional section without the OPT record. */
    private static Set<String> additional(Message m) {
        return records(m.getSection(Section.ADDITIONAL).stream().filter(r -> r.getType() != Type.OPT).toList());
    }

    private static Set<String> records(Message m, int section) {
        return records(m.getSection(section));
    }

    private static Set<String> records(List<Record> list) {
        Set<String> out = new TreeSet<>();
        for (Record r : list) {
            out.add(text(r));
        }
        return out;
    }

    private static String text(Record r) {
        return lower(r.getName()) + " " + r.getTTL() + " " + Type.string(r.getType()) + " "
                + r.rdataToString().toLowerCase(Locale.ROOT);
    }

    private static String lower(Name n) {
        return n.toString().toLowerCase(Locale.ROOT);
    }
}
