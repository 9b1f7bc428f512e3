package dev.portico.core.net;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostPortTest {

    @Test
    void parsesHostAndPort() {
        assertThat(HostPort.parse("example.com:8080")).isEqualTo(new HostPort("example.com", 8080));
        assertThat(HostPort.parse(" 10.0.0.1:80 ")).isEqualTo(new HostPort("10.0.0.1", 80));
    }

    @Test
    void bareOrColonPortMeansAllInterfaces() {
        assertThat(HostPort.parse("8080")).isEqualTo(new HostPort("0.0.0.0", 8080));
        assertThat(HostPort.parse(":8080")).isEqualTo(new HostPort("0.0.0.0", 8080));
    }

    @Test
    void parsesBracketedIpv6AndPrintsItBack() {
        HostPort hp = HostPort.parse("[::1]:443");
        assertThat(hp).isEqualTo(new HostPort("::1", 443));
        assertThat(hp.toString()).isEqualTo("[::1]:443");
    }

    @Test
    void rejectsBadInput() {
        assertThatThrownBy(() -> HostPort.parse("a:70000")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> HostPort.parse("a:http")).hasMessageContaining("not a port number");
        assertThatThrownBy(() -> HostPort.parse("[::1]x")).hasMessageContaining("[::1]:8080");
        assertThatThrownBy(() -> HostPort.parse("fe80::1")).hasMessageContaining("[::1]:8080");
        assertThatThrownBy(() -> new HostPort(" ", 80)).hasMessageContaining("blank");
    }

    @Test
    void unresolvedAddressDoesNotLookUp() {
        var address = new HostPort("backend.invalid", 81).unresolved();
        assertThat(address.isUnresolved()).isTrue();
        assertThat(address.getPort()).isEqualTo(81);
        assertThat(new HostPort("h", 1).withPort(2)).isEqualTo(new HostPort("h", 2));
    }
}
