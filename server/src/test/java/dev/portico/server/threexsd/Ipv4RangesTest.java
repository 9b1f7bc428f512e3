package dev.portico.server.threexsd;

import dev.portico.core.net.Cidr;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Ipv4RangesTest {

    @Test
    void singleAddressesStay() {
        assertThat(Ipv4Ranges.toCidrs("127.0.0.1")).containsExactly("127.0.0.1");
    }

    @Test
    void rangesBecomeTheFewestBlocks() {
        assertThat(Ipv4Ranges.toCidrs("10.23.4.10-20")).containsExactly("10.23.4.10/31", "10.23.4.12/30",
                "10.23.4.16/30", "10.23.4.20/32");
        assertThat(Ipv4Ranges.toCidrs("10.0.0.0-255")).containsExactly("10.0.0.0/24");
        assertThat(Ipv4Ranges.toCidrs("10.0.0.101-200")).containsExactly("10.0.0.101/32", "10.0.0.102/31",
                "10.0.0.104/29", "10.0.0.112/28", "10.0.0.128/26", "10.0.0.192/29", "10.0.0.200/32");
        assertThat(Ipv4Ranges.toCidrs("10.0.0.7-7")).containsExactly("10.0.0.7/32");
    }

    @Test
    void blocksCoverExactlyTheRange() throws Exception {
        for (int[] r : new int[][] {{10, 20}, {0, 255}, {101, 200}, {1, 254}, {77, 78}}) {
            List<Cidr> cidrs = Ipv4Ranges.toCidrs("192.168.1." + r[0] + "-" + r[1]).stream().map(Cidr::parse).toList();
            for (int last = 0; last <= 255; last++) {
                boolean inside = last >= r[0] && last <= r[1];
                assertThat(Cidr.anyContains(cidrs, InetAddress.getByName("192.168.1." + last)))
                        .as("%d in %d-%d", last, r[0], r[1]).isEqualTo(inside);
            }
        }
    }

    @Test
    void badItems() {
        assertThatThrownBy(() -> Ipv4Ranges.toCidrs("10.0.0")).hasMessageContaining("not an IPv4 address");
        assertThatThrownBy(() -> Ipv4Ranges.toCidrs("10.0.0.1-x")).hasMessageContaining("last octet");
        assertThatThrownBy(() -> Ipv4Ranges.toCidrs("10.0.0.9-3")).hasMessageContaining("between 9 and 255");
        assertThatThrownBy(() -> Ipv4Ranges.toCidrs("host.example")).hasMessageContaining("not an IPv4 address");
    }
}
