package dev.portico.core.limits;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The default connection caps derived from a descriptor limit, and the start-up check of configured caps. */
class DescriptorBudgetTest {

    @Test
    void oneServiceTakesWhatTheReserveAndTheAdminLeave() {
        DescriptorBudget b = new DescriptorBudget(20_000, 64, 1, true);
        assertThat(b.reserve()).isEqualTo(192 + 2_000);
        assertThat(b.usable()).isEqualTo(20_000 - 2_192 - 64);
        assertThat(b.defaultMaxConnections(1)).isEqualTo(17_744);
        assertThat(b.defaultMaxConnections(2)).isEqualTo(8_872);
    }

    @Test
    void servicesShareTheUsableDescriptorsEvenly() {
        DescriptorBudget b = new DescriptorBudget(20_000, 64, 4, true);
        assertThat(b.defaultMaxConnections(1)).isEqualTo(17_744 / 4);
        assertThat(b.defaultMaxConnections(2)).isEqualTo(17_744 / 8);
        // The defaults of web, proxy, lb and DNS together fit the limit.
        List<ConnectionCap> caps = List.of(
                new ConnectionCap("site", "connections", b.defaultMaxConnections(1), 1),
                new ConnectionCap("front", "connections", b.defaultMaxConnections(2), 2),
                new ConnectionCap("db", "connections", b.defaultMaxConnections(2), 2),
                new ConnectionCap("ns", "tcp connections", b.defaultMaxConnections(1), 1));
        assertThat(b.check(caps)).isEmpty();
    }

    @Test
    void aSmallLimitKeepsHalfForTheProcess() {
        DescriptorBudget b = new DescriptorBudget(256, 64, 1, true);
        assertThat(b.reserve()).isEqualTo(128);
        assertThat(b.defaultMaxConnections(1)).isEqualTo(64);
        assertThat(new DescriptorBudget(100, 64, 1, true).defaultMaxConnections(2)).isEqualTo(1);
    }

    @Test
    void aConfiguredCapWinsOverTheDefault() {
        DescriptorBudget b = new DescriptorBudget(20_000, 64, 1, true);
        assertThat(b.maxConnections(500, 1)).isEqualTo(500);
        assertThat(b.maxConnections(0, 2)).isEqualTo(8_872);
    }

    @Test
    void capsAboveTheLimitAreNamedInOneWarning() {
        DescriptorBudget b = new DescriptorBudget(20_000, 64, 2, true);
        String warning = b.check(List.of(new ConnectionCap("front", "connections", 100_000, 2),
                new ConnectionCap("site", "connections", 1_000, 1))).orElseThrow();
        assertThat(warning).contains("limit of 20000", "front connections 100000 x 2", "site connections 1000",
                "admin 64", "reserve 2192", "= 203256 descriptors");
    }

    @Test
    void anUnknownLimitAssumesTheFallbackAndNeverWarns() {
        DescriptorBudget b = DescriptorBudget.of(FileLimit.unknown(), 64, 1);
        assertThat(b.limit()).isEqualTo(DescriptorBudget.FALLBACK_LIMIT);
        assertThat(b.check(List.of(new ConnectionCap("front", "connections", 10_000_000, 2)))).isEmpty();
    }

    @Test
    void theProcessLimitIsReadAndRaisedToTheHardOne() throws Exception {
        FileLimit before = FileLimit.read();
        org.junit.jupiter.api.Assumptions.assumeTrue(before.known(), "Linux with native access only");
        FileLimit after = FileLimit.raise();
        assertThat(after.soft()).isEqualTo(after.hard()).isGreaterThanOrEqualTo(before.soft());
        assertThat(FileLimit.openDescriptors()).isPositive().isLessThan((int) after.soft());
    }
}
