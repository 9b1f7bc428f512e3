package dev.portico.dns;

import dev.portico.testing.ManualClock;
import dev.portico.core.net.Cidr;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bucket table on its own, fed answers as the server renders them and driven by a clock that
 * moves only when told.
 */
@Timeout(10)
class RrlTest {

    private static final int LIMIT = 10;

    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private final RrlMeters meters = new RrlMeters("ns", new SimpleMeterRegistry());

    private Rrl rrl(UnaryOperator<RrlConfig.Builder> customize) {
        return new Rrl(customize.apply(RrlConfig.builder().ratelimit(LIMIT).size(4096)).build(), clock, meters, 42);
    }

    /** Sends {@code n} copies of an answer from {@code client}; returns how many went out whole, dropped, slipped. */
    private static int[] burst(Rrl rrl, String client, Message answer, int n) throws Exception {
        byte[] address = InetAddress.getByName(client).getAddress();
        int[] counts = new int[3];
        for (int i = 0; i < n; i++) {
            ByteBuf b = Unpooled.wrappedBuffer(answer.toWire());
            counts[rrl.check(address, address.length, b).ordinal()]++;
        }
        return counts;
    }

    private static Message answer(String name, int type, int rcode) throws Exception {
        Name qname = Name.fromString(name);
        Message m = new Message(1);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.AA);
        m.getHeader().setRcode(rcode);
        m.addRecord(Record.newRecord(qname, type, DClass.IN), Section.QUESTION);
        m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        return m;
    }

    private static Message positive(String name) throws Exception {
        Message m = answer(name, Type.A, Rcode.NOERROR);
        m.addRecord(new ARecord(Name.fromString(name), DClass.IN, 300, InetAddress.getByName("192.0.2.1")), Section.ANSWER);
        return m;
    }

    private static Message negative(String name, int rcode) throws Exception {
        Message m = answer(name, Type.A, rcode);
        Name zone = Name.fromString("example.test.");
        m.addRecord(new SOARecord(zone, DClass.IN, 300, Name.fromString("ns1.example.test."),
                Name.fromString("hostmaster.example.test."), 1, 7200, 900, 1209600, 300), Section.AUTHORITY);
        return m;
    }

    private static Message referral(String name) throws Exception {
        Message m = answer(name, Type.A, Rcode.NOERROR);
        m.getHeader().unsetFlag(Flags.AA);
        m.addRecord(new NSRecord(Name.fromString("sub.example.test."), DClass.IN, 3600, Name.fromString("ns.sub.example.test.")),
                Section.AUTHORITY);
        return m;
    }

    @Test
    void theTableTakesMemoryOnlyForTheBucketsInUse() throws Exception {
        // The default table is a million buckets, 8 MB: nothing of it is allocated before an answer.
        Rrl rrl = new Rrl(RrlConfig.builder().ratelimit(LIMIT).slip(0).build(), clock, meters, 42);
        assertThat(rrl.pagesInUse()).isZero();

        Message www = positive("www.example.test.");
        assertThat(burst(rrl, "192.0.2.7", www, LIMIT + 5)).containsExactly(LIMIT, 5, 0);
        assertThat(rrl.pagesInUse()).isEqualTo(1);
        assertThat(burst(rrl, "192.0.3.7", www, LIMIT)).containsExactly(LIMIT, 0, 0);
        assertThat(rrl.pagesInUse()).isBetween(1, 2);

        // A table whose size is not a whole number of pages: every bucket, the last page's too, works.
        Rrl small = rrl(b -> b.size(1000).slip(0));
        for (int i = 0; i < 2000; i++) {
            assertThat(burst(small, "10." + (i >> 8) + "." + (i & 0xFF) + ".1", www, 1)).containsExactly(1, 0, 0);
        }
        assertThat(small.pagesInUse()).isEqualTo(2);
    }

    @Test
    void oneClientPrefixGetsTheLimitEachSecondWhileOthersAreUntouched() throws Exception {
        Rrl rrl = rrl(b -> b.slip(0));
        Message www = positive("www.example.test.");

        assertThat(burst(rrl, "192.0.2.7", www, 100)).containsExactly(LIMIT, 100 - LIMIT, 0);
        // The same /24 shares the bucket; another /24 and an IPv6 client have their own.
        assertThat(burst(rrl, "192.0.2.200", www, 5)).containsExactly(0, 5, 0);
        assertThat(burst(rrl, "192.0.3.7", www, LIMIT)).containsExactly(LIMIT, 0, 0);
        assertThat(burst(rrl, "2001:db8::7", www, LIMIT)).containsExactly(LIMIT, 0, 0);
        // Another name (and another type of the same name) is another answer.
        assertThat(burst(rrl, "192.0.2.7", positive("mail.example.test."), LIMIT)).containsExactly(LIMIT, 0, 0);
        Message aaaa = answer("www.example.test.", Type.AAAA, Rcode.NOERROR);
        aaaa.addRecord(new TXTRecord(Name.fromString("www.example.test."), DClass.IN, 300, "x"), Section.ANSWER);
        assertThat(burst(rrl, "192.0.2.7", aaaa, LIMIT)).containsExactly(LIMIT, 0, 0);
        assertThat(meters.droppedCount()).isEqualTo(95);

        clock.advance(1000);
        assertThat(burst(rrl, "192.0.2.7", www, 20)).containsExactly(LIMIT, 10, 0);
    }

    @Test
    void randomNamesThatDoNotExistShareTheZonesBucket() throws Exception {
        Rrl rrl = rrl(b -> b.slip(0));
        int sent = 0;
        for (int i = 0; i < 50; i++) {
            sent += burst(rrl, "198.51.100.1", negative("nx" + i + ".example.test.", Rcode.NXDOMAIN), 1)[0];
        }
        assertThat(sent).isEqualTo(LIMIT);
        // NODATA, errors and referrals are other answers, each with its own bucket.
        assertThat(burst(rrl, "198.51.100.1", negative("www.example.test.", Rcode.NOERROR), 15)).containsExactly(LIMIT, 5, 0);
        assertThat(burst(rrl, "198.51.100.1", answer("a.elsewhere.invalid.", Type.A, Rcode.REFUSED), 15))
                .containsExactly(LIMIT, 5, 0);
        sent = 0;
        for (int i = 0; i < 30; i++) {
            sent += burst(rrl, "198.51.100.1", referral("h" + i + ".sub.example.test."), 1)[0];
        }
        assertThat(sent).isEqualTo(LIMIT);
    }

    @Test
    void everySlipthLimitedAnswerGoesOutTruncatedWithItsQuestionOnly() throws Exception {
        Rrl rrl = rrl(b -> b.slip(2));
        Message big = positive("big.example.test.");
        assertThat(burst(rrl, "203.0.113.9", big, LIMIT + 20)).containsExactly(LIMIT, 10, 10);
        assertThat(meters.slippedCount()).isEqualTo(10);
        assertThat(meters.droppedCount()).isEqualTo(10);

        byte[] address = InetAddress.getByName("203.0.113.9").getAddress();
        ByteBuf b = Unpooled.wrappedBuffer(big.toWire());
        Rrl.Action first = rrl.check(address, 4, b);
        ByteBuf c = Unpooled.wrappedBuffer(big.toWire());
        Rrl.Action second = rrl.check(address, 4, c);
        ByteBuf slipped = first == Rrl.Action.SLIP ? b : c;
        assertThat(first == Rrl.Action.SLIP ^ second == Rrl.Action.SLIP).isTrue();
        byte[] wire = new byte[slipped.readableBytes()];
        slipped.readBytes(wire);
        Message m = new Message(wire);
        assertThat(m.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(m.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(m.getHeader().getID()).isEqualTo(1);
        assertThat(m.getQuestion().getName()).isEqualTo(Name.fromString("big.example.test."));
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        assertThat(m.getSection(Section.ADDITIONAL)).isEmpty();
        assertThat(wire.length).isEqualTo(12 + "big.example.test.".length() + 1 + 4);
    }

    @Test
    void slipOneTruncatesEveryLimitedAnswerAndSlipZeroNone() throws Exception {
        assertThat(burst(rrl(b -> b.slip(1)), "203.0.113.9", positive("www.example.test."), 30))
                .containsExactly(LIMIT, 0, 20);
        assertThat(burst(rrl(b -> b.slip(0)), "203.0.113.9", positive("www.example.test."), 30))
                .containsExactly(LIMIT, 20, 0);
    }

    @Test
    void exemptClientsAreNeverLimitedAndWhitelistedOnesAtTheWhitelistRate() throws Exception {
        Rrl rrl = rrl(b -> b.slip(0).exempt(Cidr.parse("10.0.0.0/8")).whitelist(Cidr.parse("2001:db8:1::/48"))
                .whitelist(RrlConfig.Kind.NXDOMAIN).whitelistRatelimit(25));
        Message www = positive("www.example.test.");
        assertThat(burst(rrl, "10.9.8.7", www, 500)).containsExactly(500, 0, 0);
        assertThat(meters.exemptCount()).isEqualTo(500);
        assertThat(burst(rrl, "2001:db8:1:2::3", www, 40)).containsExactly(25, 15, 0);
        assertThat(burst(rrl, "2001:db8:2::3", www, 40)).containsExactly(LIMIT, 30, 0);
        assertThat(burst(rrl, "192.0.2.1", negative("nx.example.test.", Rcode.NXDOMAIN), 40)).containsExactly(25, 15, 0);
        assertThat(meters.whitelistedCount()).isEqualTo(50);

        // A whitelisted address inside a limited prefix: each counts against its own limit.
        Rrl narrow = rrl(b -> b.slip(0).whitelist(Cidr.parse("198.51.100.5/32")).whitelistRatelimit(25));
        assertThat(burst(narrow, "198.51.100.5", www, 40)).containsExactly(25, 15, 0);
        assertThat(burst(narrow, "198.51.100.6", www, 40)).containsExactly(LIMIT, 30, 0);
        assertThat(burst(narrow, "198.51.100.5", www, 1)).containsExactly(0, 1, 0);

        Rrl unlimited = rrl(b -> b.whitelist(Cidr.parse("192.0.2.0/24")).whitelistRatelimit(0));
        assertThat(burst(unlimited, "192.0.2.1", www, 300)).containsExactly(300, 0, 0);
    }

    @Test
    void ipv6ClientsAreGroupedByTheirPrefixAndMappedIpv4AsIpv4() throws Exception {
        Rrl rrl = rrl(b -> b.slip(0).ipv6Prefix(56));
        Message www = positive("www.example.test.");
        assertThat(burst(rrl, "2001:db8:0:1::1", www, LIMIT)).containsExactly(LIMIT, 0, 0);
        assertThat(burst(rrl, "2001:db8:0:ff::2", www, 1)).containsExactly(0, 1, 0);
        assertThat(burst(rrl, "2001:db8:0:100::1", www, 1)).containsExactly(1, 0, 0);

        assertThat(burst(rrl, "192.0.2.1", www, LIMIT)).containsExactly(LIMIT, 0, 0);
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(InetAddress.getByName("192.0.2.99").getAddress(), 0, mapped, 12, 4);
        assertThat(rrl.check(mapped, 16, Unpooled.wrappedBuffer(www.toWire()))).isEqualTo(Rrl.Action.DROP);
    }

    @Test
    void malformedAnswersAndUnknownSourcesAreCountedWithoutFailing() throws Exception {
        Rrl rrl = rrl(b -> b.slip(1));
        byte[] address = InetAddress.getByName("192.0.2.1").getAddress();
        byte[] wire = positive("www.example.test.").toWire();
        for (int cut = 0; cut < wire.length; cut++) {
            ByteBuf b = Unpooled.wrappedBuffer(wire, 0, cut);
            Rrl.Action a = rrl.check(address, 4, b);
            assertThat(b.writerIndex()).isLessThanOrEqualTo(cut);
            assertThat(a).isNotNull();
        }
        byte[] loop = wire.clone();
        loop[12] = (byte) 0xC0;
        loop[13] = 12;
        assertThat(rrl.check(address, 4, Unpooled.wrappedBuffer(loop))).isNotNull();
        assertThat(rrl.check(new byte[16], 0, Unpooled.wrappedBuffer(wire))).isEqualTo(Rrl.Action.SEND);
    }
}
