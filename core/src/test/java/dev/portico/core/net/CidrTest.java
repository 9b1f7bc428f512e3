package dev.portico.core.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CidrTest {

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void ipv4Ranges() throws Exception {
        Cidr c = Cidr.parse("10.1.0.0/16");
        assertThat(c.contains(ip("10.1.2.3"))).isTrue();
        assertThat(c.contains(ip("10.1.255.255"))).isTrue();
        assertThat(c.contains(ip("10.2.0.0"))).isFalse();
        assertThat(c).hasToString("10.1.0.0/16");
    }

    @Test
    void hostBitsAreMaskedAndBareAddressesAreSingleHosts() throws Exception {
        assertThat(Cidr.parse("192.168.1.77/24").contains(ip("192.168.1.1"))).isTrue();
        Cidr one = Cidr.parse("127.0.0.1");
        assertThat(one.contains(ip("127.0.0.1"))).isTrue();
        assertThat(one.contains(ip("127.0.0.2"))).isFalse();
        assertThat(Cidr.parse("0.0.0.0/0").contains(ip("8.8.8.8"))).isTrue();
    }

    @Test
    void ipv6AndMappedAddresses() throws Exception {
        assertThat(Cidr.parse("::1/128").contains(ip("::1"))).isTrue();
        assertThat(Cidr.parse("2001:db8::/32").contains(ip("2001:db8:1::5"))).isTrue();
        assertThat(Cidr.parse("2001:db8::/32").contains(ip("2001:db9::5"))).isFalse();
        assertThat(Cidr.parse("2001:db8::/32").contains(ip("10.0.0.1"))).isFalse();
        InetAddress mapped = InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 0, 0, 9});
        assertThat(Cidr.parse("10.0.0.0/8").contains(mapped)).isTrue();
    }

    @Test
    void anyContains() throws Exception {
        List<Cidr> l = List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("::1"));
        assertThat(Cidr.anyContains(l, ip("10.9.9.9"))).isTrue();
        assertThat(Cidr.anyContains(l, ip("::1"))).isTrue();
        assertThat(Cidr.anyContains(l, ip("11.0.0.1"))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "10.0.0.0/33", "::/129", "10.0.0.0/x", "10.0.0.0/-1", ""})
    void badRanges(String text) {
        assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }
}
