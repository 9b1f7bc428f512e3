package dev.portico.dns;

import dev.portico.testing.ManualClock;
import dev.portico.dns.LrrrConfig.Side;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Name;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The LRRR measuring chain on two engines with their own clocks (set hours apart: the sites need no
 * clock sync), and a simulated resolver whose queries take a set round trip to each side.
 */
@Timeout(10)
class LrrrTest {

    private static final LrrrConfig LEFT = LrrrConfig.builder(Side.LEFT, "l.example.test", "r.example.test", "i.example.test")
            .name("ga.i.example.test").rttTtl(Duration.ofMinutes(10)).build();

    private final ManualClock leftClock = new ManualClock(1_700_000_000_123L);
    private final ManualClock rightClock = new ManualClock(1_700_000_000_123L + 5 * 3_600_000L);
    private final Lrrr left = new Lrrr(LEFT, leftClock);
    private final Lrrr right = new Lrrr(LEFT.otherSide(), rightClock);
    private final InetAddress resolver = ip("192.0.2.10");
    private long leftRtt;
    private long rightRtt;

    private static InetAddress ip(String text) {
        return IpLiteral.parse(text);
    }

    /** One query to the server of the name's zone: half the round trip there, half back. */
    private Lrrr.Step ask(Lrrr server, String name, InetAddress from) {
        long half = (server == left ? leftRtt : rightRtt) / 2;
        leftClock.advance(half);
        rightClock.advance(half);
        Lrrr.Step step = server.answer(DnsNames.absolute(name), from);
        leftClock.advance(half);
        rightClock.advance(half);
        return step;
    }

    /** Follows the CNAMEs from a public name asked at {@code first} until the final side name. */
    private List<String> chase(Lrrr first, InetAddress from) {
        List<String> names = new ArrayList<>();
        String name = "ga.i.example.test";
        Lrrr server = first;
        for (int i = 0; i < 10; i++) {
            Lrrr.Step step = ask(server, name, from);
            assertThat(step).as("an LRRR answer for " + name).isNotNull();
            name = step.target().toString(true);
            names.add(name);
            if (step.chase()) {
                return names;
            }
            assertThat(step.ttl()).as("measuring CNAMEs are not cached").isZero();
            server = name.endsWith(".l.example.test") ? left : right;
        }
        throw new AssertionError("no final answer after " + names);
    }

    @Test
    void measuresBothSidesAndSendsTheResolverToTheNearerOne() {
        leftRtt = 166;
        rightRtt = 254;
        long ts0 = leftClock.millis() / 1000 - 300;
        List<String> chain = chase(left, resolver);
        assertThat(chain).hasSize(4);
        assertThat(chain.get(0)).matches("lr-3221225994-" + ts0 + "-3[0-9]{5}-0\\.ga\\.l\\.example\\.test");
        assertThat(chain.get(1)).isEqualTo("lr-3221225994-" + ts0 + "-166-0.ga.r.example.test");
        assertThat(chain.get(2)).matches("lr-3221225994-" + ts0 + "-166-[0-9]{6,}\\.ga\\.r\\.example\\.test");
        assertThat(chain.get(3)).isEqualTo("ga.l.example.test");
        assertThat(right.known(resolver, rightClock.millis())).isEqualTo(
                new Lrrr.Rtts(right.known(resolver, rightClock.millis()).expiresAt(), 166, 254));

        rightRtt = 40;
        assertThat(chase(right, ip("192.0.2.99")).getLast()).as("a resolver nearer the right").isEqualTo("ga.r.example.test");
    }

    @Test
    void theSecondServersClockMayBeBehindTheFirstOnes() {
        Lrrr lateRight = new Lrrr(LEFT.otherSide(), new ManualClock(leftClock.millis() - 2 * 3_600_000L));
        Lrrr.Step first = left.answer(DnsNames.absolute("ga.i.example.test"), resolver);
        leftClock.advance(30);
        Lrrr.Step second = left.answer(first.target(), resolver);
        assertThat(second.target().toString(true)).endsWith("-30-0.ga.r.example.test");
        Lrrr.Step third = lateRight.answer(second.target(), resolver);
        assertThat(third.chase()).isFalse();
        Lrrr.Step last = lateRight.answer(third.target(), resolver);
        assertThat(last.target().toString(true)).as("the right side measured about 0 ms, below 30").isEqualTo("ga.r.example.test");
        assertThat(lateRight.known(resolver, leftClock.millis() - 2 * 3_600_000L)).extracting(Lrrr.Rtts::left, Lrrr.Rtts::right)
                .containsExactly(30L, 1L);
    }

    @Test
    void aRememberedResolverGetsTheNearerSideNotTheAnsweringServersOwn() {
        leftRtt = 166;
        rightRtt = 254;
        chase(left, resolver);
        // 3nsd's code answered the answering server's own side here (ga.r at the right server).
        Lrrr.Step atRight = ask(right, "ga.i.example.test", resolver);
        assertThat(atRight.target().toString(true)).isEqualTo("ga.l.example.test");
        assertThat(atRight.chase()).isTrue();
        assertThat(atRight.ttl()).isEqualTo(LrrrConfig.DEFAULT_ANSWER_TTL);
        // The left server knows only its own time, so it asks the right one to finish: one hop.
        assertThat(chase(left, resolver)).containsExactly("lr-3221225994-" + (leftClock.millis() / 1000 - 300)
                + "-166-0.ga.r.example.test", "ga.l.example.test");
    }

    @Test
    void aTieGoesToTheMeasuringSide() {
        leftRtt = 200;
        rightRtt = 200;
        assertThat(chase(left, resolver).getLast()).isEqualTo("ga.r.example.test");
        assertThat(ask(right, "ga.i.example.test", resolver).target().toString(true)).isEqualTo("ga.r.example.test");
    }

    @Test
    void ipv6ResolversAreMeasuredToo() {
        leftRtt = 300;
        rightRtt = 20;
        InetAddress v6 = ip("2001:db8::53");
        List<String> chain = chase(left, v6);
        assertThat(chain.getFirst()).startsWith("lr-0-");
        assertThat(chain.getLast()).isEqualTo("ga.r.example.test");
        assertThat(ask(right, "ga.i.example.test", v6).target().toString(true)).isEqualTo("ga.r.example.test");
    }

    @Test
    void rememberedTimesExpireAndTheAnswerTtlNeverOutlivesThem() {
        leftRtt = 10;
        rightRtt = 90;
        chase(right, resolver);
        leftClock.advance(Duration.ofMinutes(10).toMillis() - 30_000);
        Lrrr.Step late = ask(left, "ga.i.example.test", resolver);
        assertThat(late.target().toString(true)).as("the left server finished and knows both").isEqualTo("ga.l.example.test");
        assertThat(late.ttl()).isBetween(28L, 30L);
        leftClock.advance(31_000);
        assertThat(ask(left, "ga.i.example.test", resolver).chase()).as("measuring again").isFalse();
    }

    @Test
    void labelsThatCannotBeReadStartAgainAndOtherNamesAreNotLrrr() {
        Lrrr.Step restart = left.answer(DnsNames.absolute("lr-1-2-x-4.ga.l.example.test"), resolver);
        assertThat(restart.target().toString(true)).startsWith("lr-3221225994-").endsWith("-0.ga.l.example.test");
        Lrrr.Step stale = left.answer(DnsNames.absolute("lr-1-1000-400000-0.ga.l.example.test"), resolver);
        assertThat(stale.chase()).isFalse();
        assertThat(stale.target().toString(true)).doesNotContain("-1000-");
        assertThat(left.answer(DnsNames.absolute("www.i.example.test"), resolver)).isNull();
        assertThat(left.answer(DnsNames.absolute("lr-1-2-3-4.www.l.example.test"), resolver)).isNull();
        assertThat(left.answer(DnsNames.absolute("lr-1-2-3-4.ga.r.example.test"), resolver)).as("the other side's").isNull();
        assertThat(left.answer(DnsNames.absolute("ga.l.example.test"), resolver)).isNull();
        assertThat(left.answer(DnsNames.absolute("lr-1.l.example.test"), resolver)).isNull();
        assertThat(left.answer(DnsNames.absolute("GA.I.Example.Test"), resolver)).as("any case").isNotNull();
        assertThat(left.answer(DnsNames.absolute("ga.i.example.test"), null)).isNull();
    }

    @Test
    void theTableOfResolversIsBounded() {
        Lrrr small = new Lrrr(LrrrConfig.builder(Side.LEFT, "l.example.test", "r.example.test", "i.example.test")
                .name("ga.i.example.test").maxResolvers(2).build(), leftClock);
        for (int i = 1; i <= 5; i++) {
            InetAddress r = ip("192.0.2." + i);
            Lrrr.Step first = small.answer(DnsNames.absolute("ga.i.example.test"), r);
            leftClock.advance(20);
            small.answer(first.target(), r);
        }
        assertThat(small.size()).isEqualTo(2);
    }

    @Test
    void configRejectsNamesOutsideTheSuffixAndBadPrefixes() {
        var b = LrrrConfig.builder(Side.LEFT, "l.example.test", "r.example.test", "i.example.test");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.name("ga.example.test").build())
                .hasMessageContaining("not under the suffix");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LrrrConfig.builder(Side.LEFT, "l.example.test",
                        "r.example.test", "i.example.test").name("ga.i.example.test").prefix("l-r").build())
                .hasMessageContaining("letters or digits");
        assertThat(Name.root).isNotNull();
    }
}
