package dev.portico.dns;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(5)
class WeightedRotationTest {

    private static List<InetAddress> ips(String... text) {
        return java.util.Arrays.stream(text).map(IpLiteral::parse).toList();
    }

    @Test
    void equalWeightsRotateLikeRoundRobin() {
        WeightedRotation r = new WeightedRotation(ips("10.0.0.1", "10.0.0.2", "10.0.0.3"), new int[] {1, 1, 1});
        assertThat(r.pick(0, 0)).isEqualTo(ips("10.0.0.1", "10.0.0.2", "10.0.0.3"));
        assertThat(r.pick(1, 0)).isEqualTo(ips("10.0.0.2", "10.0.0.3", "10.0.0.1"));
        assertThat(r.pick(2, 0)).isEqualTo(ips("10.0.0.3", "10.0.0.1", "10.0.0.2"));
        assertThat(r.pick(3, 2)).isEqualTo(ips("10.0.0.1", "10.0.0.2"));
    }

    @Test
    void weightsSetHowOftenEachAddressIsFirstSpreadOut() {
        WeightedRotation r = new WeightedRotation(ips("10.0.0.1", "10.0.0.2"), new int[] {3, 1});
        List<String> firsts = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            firsts.add(r.pick(i, 1).getFirst().getHostAddress());
        }
        assertThat(firsts).containsExactly("10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.1",
                "10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.1");
    }

    @Test
    void noAddressesGivesAnEmptyAnswer() {
        WeightedRotation r = new WeightedRotation(List.of(), new int[0]);
        assertThat(r.isEmpty()).isTrue();
        assertThat(r.pick(7, 0)).isEmpty();
    }
}
