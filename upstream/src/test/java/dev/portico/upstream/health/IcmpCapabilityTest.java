package dev.portico.upstream.health;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class IcmpCapabilityTest {

    private static final String ROOT_STATUS = """
            Name:\tjava
            Uid:\t0\t0\t0\t0
            Gid:\t0\t0\t0\t0
            Groups:\t0 1 2
            CapInh:\t0000000000000000
            CapPrm:\t000001ffffffffff
            CapEff:\t000001ffffffffff
            """;

    private static final String USER_STATUS = """
            Name:\tjava
            Gid:\t1000\t1001\t1001\t1001
            Groups:\t27 1000
            CapEff:\t0000000000000000
            """;

    @Test
    void readsNetRawFromEffectiveCapabilities() {
        assertThat(IcmpCapability.hasNetRaw(ROOT_STATUS)).isTrue();
        assertThat(IcmpCapability.hasNetRaw(USER_STATUS)).isFalse();
        assertThat(IcmpCapability.hasNetRaw("CapEff:\t0000000000002000\n")).as("bit 13 only").isTrue();
        assertThat(IcmpCapability.hasNetRaw("Name:\tx\n")).isFalse();
    }

    @Test
    void collectsEffectiveAndSupplementaryGroups() {
        assertThat(IcmpCapability.groups(USER_STATUS)).containsExactly(1001L, 27L, 1000L);
    }

    @Test
    void pingGroupRangeIsInclusive() {
        assertThat(IcmpCapability.pingGroupAllows("0\t2147483647\n", List.of(1001L))).isTrue();
        assertThat(IcmpCapability.pingGroupAllows("1 0", List.of(0L, 1L))).as("the kernel's 'disabled' value").isFalse();
        assertThat(IcmpCapability.pingGroupAllows("100 200", List.of(100L))).isTrue();
        assertThat(IcmpCapability.pingGroupAllows("100 200", List.of(201L))).isFalse();
        assertThat(IcmpCapability.pingGroupAllows("garbage", List.of(1L))).isFalse();
    }
}
