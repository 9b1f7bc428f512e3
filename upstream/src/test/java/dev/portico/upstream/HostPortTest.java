package dev.portico.upstream;

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
    void parsesBracketedIpv6AndPrintsItBack() {
        HostPort hp = HostPort.parse("[::1]:443");
        assertThat(hp).isEqualTo(new HostPort("::1", 443));
        assertThat(hp.toString()).isEqualTo("[::1]:443");
    }

    @Test
    void usesDefaultPortOnlyWhenGiven() {
        assertThat(HostPort.parse("db", 5432)).isEqualTo(new HostPort("db", 5432));
        assertThat(HostPort.parse("fe80::1", 53)).isEqualTo(new HostPort("fe80::1", 53));
        assertThatThrownBy(() -> HostPort.parse("db")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("host:port");
    }

    @Test
    void rejectsBadPorts() {
        assertThatThrownBy(() -> HostPort.parse("a:0")).hasMessageContaining("1-65535");
        assertThatThrownBy(() -> HostPort.parse("a:70000")).hasMessageContaining("1-65535");
        assertThatThrownBy(() -> HostPort.parse("a:http")).hasMessageContaining("expected: a number");
        assertThatThrownBy(() -> HostPort.parse("[::1]x")).hasMessageContaining("[v6]:port");
        assertThatThrownBy(() -> HostPort.parse(":80")).hasMessageContaining("non-blank");
    }

    @Test
    void unresolvedAddressDoesNotLookUp() {
        var address = new HostPort("backend.invalid", 81).unresolved();
        assertThat(address.isUnresolved()).isTrue();
        assertThat(address.getPort()).isEqualTo(81);
        assertThat(new HostPort("h", 1).withPort(2)).isEqualTo(new HostPort("h", 2));
    }
}
