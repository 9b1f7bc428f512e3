package dev.portico.dns;

import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import dev.portico.core.config.YamlWriter;
import dev.portico.core.net.Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code rrl:} settings of a dns section: NSD's defaults, every key, errors with their place, writing back. */
@Timeout(10)
class RrlSectionTest {

    private final Problems problems = new Problems();

    private DnsConfig parse(String yaml) throws Exception {
        Section s = Section.of(new YamlLoader().load(yaml, "dns.yaml"), "services.ns", problems);
        return new DnsServiceType().parse("ns", s);
    }

    private List<String> messages() {
        return problems.list().stream().map(Object::toString).toList();
    }

    @Test
    void withoutTheKeyRateLimitingIsOnWithNsdsDefaults() throws Exception {
        DnsConfig c = parse("""
                listen: 127.0.0.1:53
                zones: {example.test: /z/example.test.zone}
                """);
        assertThat(messages()).isEmpty();
        assertThat(c.rrl()).isEqualTo(RrlConfig.DEFAULTS).isEqualTo(DnsConfig.builder().listen("127.0.0.1:53")
                .zone("example.test", java.nio.file.Path.of("/z/example.test.zone")).build().rrl());
        assertThat(c.rrl().enabled()).isTrue();
        assertThat(c.rrl().ratelimit()).isEqualTo(200);
        assertThat(c.rrl().slip()).isEqualTo(2);
        assertThat(c.rrl().ipv4Prefix()).isEqualTo(24);
        assertThat(c.rrl().ipv6Prefix()).isEqualTo(64);
        assertThat(c.rrl().whitelistRatelimit()).isEqualTo(2000);
        assertThat(c.rrl().size()).isEqualTo(1_000_000);
        assertThat(new DnsServiceType().toYaml(c).orElseThrow()).doesNotContainKey("rrl");
    }

    @Test
    void readsEveryKeyLikeTheJavaBuilderAndWritesThemBack() throws Exception {
        DnsConfig c = parse("""
                listen: 127.0.0.1:53
                zones: {example.test: /z/example.test.zone}
                rrl:
                  ratelimit: 50
                  slip: 3
                  ipv4_prefix: 28
                  ipv6_prefix: 56
                  whitelist: [192.0.2.0/24, nxdomain, "2001:db8::/32", REFERRAL]
                  whitelist_ratelimit: 0
                  exempt: [10.0.0.0/8, "::1"]
                  size: 4096
                """);
        assertThat(messages()).isEmpty();
        RrlConfig built = RrlConfig.builder().ratelimit(50).slip(3).ipv4Prefix(28).ipv6Prefix(56)
                .whitelist(Cidr.parse("192.0.2.0/24")).whitelist(Cidr.parse("2001:db8::/32"))
                .whitelist(RrlConfig.Kind.NXDOMAIN).whitelist(RrlConfig.Kind.REFERRAL).whitelistRatelimit(0)
                .exempt(Cidr.parse("10.0.0.0/8")).exempt(Cidr.parse("::1")).size(4096).build();
        assertThat(c.rrl()).isEqualTo(built);
        assertThat(c.rrl().toBuilder().build()).isEqualTo(built);

        String yaml = new YamlWriter().write(new DnsServiceType().toYaml(c).orElseThrow());
        Section again = Section.of(new YamlLoader().load(yaml, "written.yaml"), "services.ns", problems);
        assertThat(new DnsServiceType().parse("ns", again)).isEqualTo(c);
        assertThat(messages()).isEmpty();
    }

    @Test
    void ratelimitZeroTurnsItOffAndAllWhitelistsEveryKind() throws Exception {
        DnsConfig c = parse("""
                listen: 127.0.0.1:53
                zones: {example.test: /z/example.test.zone}
                rrl: {ratelimit: 0, whitelist: all}
                """);
        assertThat(messages()).isEmpty();
        assertThat(c.rrl().enabled()).isFalse();
        assertThat(c.rrl().whitelistKinds()).containsExactlyInAnyOrder(RrlConfig.Kind.values());
        @SuppressWarnings("unchecked")
        Map<String, Object> written = (Map<String, Object>) new DnsServiceType().toYaml(c).orElseThrow().get("rrl");
        assertThat(written).containsEntry("ratelimit", 0);
    }

    @Test
    void badValuesAreReportedWithTheirPlace() throws Exception {
        DnsConfig c = parse("""
                listen: 127.0.0.1:53
                zones: {example.test: /z/example.test.zone}
                rrl:
                  ratelimit: -1
                  slip: 11
                  ipv6_prefix: 96
                  whitelist:
                    - 192.0.2.0/33
                    - nxdomains
                  exempt: [not-a-range]
                  size: 0
                  rate: 5
                """);
        assertThat(c).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).startsWith("dns.yaml:4:").contains("ratelimit")
                .contains("out of range (0 to 1000000)"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).startsWith("dns.yaml:5:").contains("out of range (0 to 10)"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).startsWith("dns.yaml:6:").contains("out of range (0 to 64)"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).startsWith("dns.yaml:8:").contains("prefix length out of range"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).startsWith("dns.yaml:9:")
                .contains("'nxdomains' is neither a client range").contains("nxdomain, referral, error"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).startsWith("dns.yaml:10:").contains("not-a-range"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).startsWith("dns.yaml:11:").contains("out of range (1 to"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).startsWith("dns.yaml:12:").contains("unknown key 'rate'"));
    }
}
