package dev.portico.admin.ssh;

import dev.portico.admin.AdminRole;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How authorized_keys options and from= pattern lists are read, as sshd(8) reads them. */
class KeyOptionsTest {

    private static final ZoneId UTC = ZoneOffset.UTC;

    @Test
    void quotedValuesKeepCommasAndEscapedQuotes() {
        KeyOptions o = KeyOptions.parse("no-pty,command=\"show service \\\"a,b\\\"\",FROM=\"10.0.0.1,127.0.0.1\"", UTC);
        assertThat(o.command()).isEqualTo("show service \"a,b\"");
        assertThat(o.pty()).isFalse();
        assertThat(o.from().allows(InetAddress.ofLiteral("127.0.0.1"))).isTrue();
        assertThat(o.from().allows(InetAddress.ofLiteral("127.0.0.2"))).isFalse();
    }

    @Test
    void optionsApplyInOrder() {
        assertThat(KeyOptions.parse("restrict", UTC).pty()).isFalse();
        assertThat(KeyOptions.parse("restrict,pty", UTC).pty()).isTrue();
        assertThat(KeyOptions.parse("pty,restrict", UTC).pty()).isFalse();
        assertThat(KeyOptions.parse("no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc", UTC).pty())
                .isTrue();
    }

    @Test
    void roles() {
        assertThat(KeyOptions.NONE.role()).isEqualTo(AdminRole.WRITE);
        assertThat(KeyOptions.parse("portico-role=read", UTC).role()).isEqualTo(AdminRole.READ);
        assertThat(KeyOptions.parse("portico-role=\"read\",no-pty", UTC).role()).isEqualTo(AdminRole.READ);
        assertThat(KeyOptions.parse("portico-role=admin", UTC).role()).isEqualTo(AdminRole.WRITE);
        assertThatThrownBy(() -> KeyOptions.parse("portico-role=root", UTC)).hasMessageContaining("'root'");
    }

    @Test
    void expiryTimes() {
        assertThat(KeyOptions.parse("expiry-time=\"20260102\"", UTC).expiry()).isEqualTo(Instant.parse("2026-01-02T00:00:00Z"));
        assertThat(KeyOptions.parse("expiry-time=\"202601021304\"", UTC).expiry()).isEqualTo(Instant.parse("2026-01-02T13:04:00Z"));
        assertThat(KeyOptions.parse("expiry-time=\"20260102130405Z\"", ZoneId.of("Europe/Paris")).expiry())
                .isEqualTo(Instant.parse("2026-01-02T13:04:05Z"));
        assertThat(KeyOptions.parse("expiry-time=\"20260102\"", ZoneId.of("Europe/Paris")).expiry())
                .isEqualTo(Instant.parse("2026-01-01T23:00:00Z"));
        KeyOptions o = KeyOptions.parse("expiry-time=\"20260102\"", UTC);
        assertThat(o.expired(Instant.parse("2026-01-01T23:59:59Z"))).isFalse();
        assertThat(o.expired(Instant.parse("2026-01-02T00:00:01Z"))).isTrue();
        assertThatThrownBy(() -> KeyOptions.parse("expiry-time=\"2026010\"", UTC)).hasMessageContaining("YYYYMMDD");
        assertThatThrownBy(() -> KeyOptions.parse("expiry-time=\"20261301\"", UTC)).hasMessageContaining("not a valid time");
    }

    @Test
    void malformedAndUnknownOptions() {
        assertThatThrownBy(() -> KeyOptions.parse("from=10.0.0.1", UTC)).hasMessageContaining("double quotes");
        assertThatThrownBy(() -> KeyOptions.parse("command=\"show", UTC)).hasMessageContaining("closing quote");
        assertThatThrownBy(() -> KeyOptions.parse("no-pty,", UTC)).hasMessageContaining("end with ','");
        assertThatThrownBy(() -> KeyOptions.parse("no-pty=\"yes\"", UTC)).hasMessageContaining("takes no value");
        assertThatThrownBy(() -> KeyOptions.parse("command", UTC)).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> KeyOptions.parse("cert-authority", UTC)).hasMessageContaining("not supported");
        assertThatThrownBy(() -> KeyOptions.parse("principals=\"ops\"", UTC)).hasMessageContaining("not supported");
        assertThatThrownBy(() -> KeyOptions.parse("no-touch-required", UTC)).hasMessageContaining("not supported");
        assertThatThrownBy(() -> KeyOptions.parse("command=\"a\"x", UTC)).hasMessageContaining("expected ','");
    }

    @Test
    void fromPatterns() {
        FromPatterns p = FromPatterns.parse("192.168.0.0/16,!192.168.7.*,10.1.?.1,2001:db8::/32");
        assertThat(p.allows(InetAddress.ofLiteral("192.168.1.20"))).isTrue();
        assertThat(p.allows(InetAddress.ofLiteral("192.168.7.20"))).isFalse();
        assertThat(p.allows(InetAddress.ofLiteral("10.1.5.1"))).isTrue();
        assertThat(p.allows(InetAddress.ofLiteral("10.1.55.1"))).isFalse();
        assertThat(p.allows(InetAddress.ofLiteral("2001:db8:0:0:0:0:0:1"))).isTrue();
        assertThat(p.allows(InetAddress.ofLiteral("2001:db9::1"))).isFalse();
        assertThat(FromPatterns.parse("::1").allows(InetAddress.ofLiteral("0:0:0:0:0:0:0:1"))).isTrue();
        assertThat(FromPatterns.parse("fe80::*").allows(InetAddress.ofLiteral("fe80:0:0:0:0:0:0:1"))).isTrue();
        assertThat(FromPatterns.parse("*").allows(InetAddress.ofLiteral("10.0.0.1"))).isTrue();
        assertThat(FromPatterns.parse("!10.0.0.1").allows(InetAddress.ofLiteral("10.0.0.2"))).isFalse();
        assertThat(FromPatterns.parse("admin.example.com").allows(InetAddress.ofLiteral("10.0.0.2"))).isFalse();
        assertThatThrownBy(() -> FromPatterns.parse("10.0.0.0/33")).hasMessageContaining("prefix length");
        assertThatThrownBy(() -> FromPatterns.parse("10.0.0.1/8")).hasMessageContaining("bits set");
        assertThatThrownBy(() -> FromPatterns.parse("host/8")).hasMessageContaining("not an address/prefix");
        assertThatThrownBy(() -> FromPatterns.parse("10.0.0.1,,")).hasMessageContaining("empty pattern");
    }

    @Test
    void addressTextIsCompressedLikeSshd() {
        assertThat(FromPatterns.text(InetAddress.ofLiteral("2001:db8:0:0:1:0:0:1"))).isEqualTo("2001:db8::1:0:0:1");
        assertThat(FromPatterns.text(InetAddress.ofLiteral("0:0:0:0:0:0:0:1"))).isEqualTo("::1");
        assertThat(FromPatterns.text(InetAddress.ofLiteral("fe80:0:0:0:0:0:0:0"))).isEqualTo("fe80::");
        assertThat(FromPatterns.text(InetAddress.ofLiteral("1:0:2:0:3:0:4:5"))).isEqualTo("1:0:2:0:3:0:4:5");
    }
}
