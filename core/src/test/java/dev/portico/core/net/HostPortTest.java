package dev.portico.core.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostPortTest {

    @Test
    void forms() {
        assertThat(HostPort.parse("127.0.0.1:8080")).isEqualTo(new HostPort("127.0.0.1", 8080));
        assertThat(HostPort.parse("example.com:443")).isEqualTo(new HostPort("example.com", 443));
        assertThat(HostPort.parse(":80")).isEqualTo(new HostPort("0.0.0.0", 80));
        assertThat(HostPort.parse("80")).isEqualTo(new HostPort("0.0.0.0", 80));
        assertThat(HostPort.parse("[::1]:53")).isEqualTo(new HostPort("::1", 53));
        assertThat(HostPort.parse(" 10.0.0.1:0 ")).isEqualTo(new HostPort("10.0.0.1", 0));
    }

    @Test
    void printsBackInTheSameForm() {
        assertThat(new HostPort("::1", 53)).hasToString("[::1]:53");
        assertThat(new HostPort("127.0.0.1", 80)).hasToString("127.0.0.1:80");
        assertThat(HostPort.parse(HostPort.parse("[fe80::1]:8080").toString())).isEqualTo(new HostPort("fe80::1", 8080));
    }

    @Test
    void boundAddressesReadAsTheyAreWrittenNotAsJavaPrintsThem() throws Exception {
        assertThat(HostPort.of(new InetSocketAddress(InetAddress.getByName("::"), 8080))).hasToString("[::]:8080");
        assertThat(HostPort.of(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 8080))).hasToString("0.0.0.0:8080");
        assertThat(HostPort.of(new InetSocketAddress(InetAddress.getByName("::1"), 53))).hasToString("[::1]:53");
        assertThat(HostPort.of(new InetSocketAddress(InetAddress.getByName("2001:db8:0:0:1:0:0:1"), 53)))
                .hasToString("[2001:db8::1:0:0:1]:53");
        assertThat(HostPort.of(new InetSocketAddress(InetAddress.getByName("fe80:0:0:0:0:0:0:0"), 1))).hasToString("[fe80::]:1");
        assertThat(HostPort.of(new InetSocketAddress(InetAddress.getByName("1:2:3:4:5:6:7:8"), 1))).hasToString("[1:2:3:4:5:6:7:8]:1");
        assertThat(HostPort.of(new InetSocketAddress(InetAddress.getByName("1:0:3:4:5:6:7:8"), 1))).hasToString("[1:0:3:4:5:6:7:8]:1");
        // a dual-stack socket asked for 0.0.0.0 reports [::]: the log says what was asked
        InetSocketAddress dualStack = new InetSocketAddress(InetAddress.getByName("::"), 8080);
        assertThat(HostPort.bound(new HostPort("0.0.0.0", 0), dualStack)).hasToString("0.0.0.0:8080");
        assertThat(HostPort.bound(new HostPort("::", 8080), dualStack)).hasToString("[::]:8080");
        assertThat(HostPort.bound(new HostPort("localhost", 8080),
                new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080))).hasToString("127.0.0.1:8080");
    }

    @ParameterizedTest
    @ValueSource(strings = {"host", "host:", "host:x", "::1:80", "[::1]", "[::1]80", "h:70000", "h:-1"})
    void badForms(String text) {
        assertThatThrownBy(() -> HostPort.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void addressesStayUnresolvedUntilUse() {
        var a = new HostPort("localhost", 80).toAddress();
        assertThat(a.getHostString()).isEqualTo("localhost");
        assertThat(a.getPort()).isEqualTo(80);
    }

    @Test
    void unresolvedAddressDoesNotLookUp() {
        var address = new HostPort("backend.invalid", 81).unresolved();
        assertThat(address.isUnresolved()).isTrue();
        assertThat(address.getPort()).isEqualTo(81);
        assertThat(new HostPort("h", 1).withPort(2)).isEqualTo(new HostPort("h", 2));
        assertThatThrownBy(() -> new HostPort(" ", 80)).hasMessageContaining("blank");
    }
}
