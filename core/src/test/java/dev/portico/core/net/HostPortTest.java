package dev.portico.core.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
}
