package dev.portico.dns;

import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import dev.portico.core.config.YamlWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code lrrr:} settings of a dns section: reading, errors with their place, and writing back. */
@Timeout(10)
class LrrrSectionTest {

    private Problems problems = new Problems();

    private DnsConfig parse(String yaml) throws Exception {
        Section s = Section.of(new YamlLoader().load(yaml, "dns.yaml"), "services.ns", problems);
        return new DnsServiceType().parse("ns", s);
    }

    private List<String> messages() {
        return problems.list().stream().map(Object::toString).toList();
    }

    @Test
    void readsEveryKeyAndWritesThemBack() throws Exception {
        DnsConfig c = parse("""
                type: dns
                listen: 127.0.0.1:53
                zones: {i.example.test: /z/i.zone, r.example.test: /z/r.zone}
                tcp_idle_timeout: 5s
                dynamic:
                  www.i.example.test:
                    ttl: 300/10
                    addresses: [10.0.0.1, "10.0.0.2:8080 weight 3", "2001:db8::1"]
                    health: {type: http, path: /up, rise: 4}
                    last_resort: [192.0.2.9]
                  api.i.example.test: {addresses: [10.0.0.7], health: "http:/ping", answers: 1}
                lrrr:
                  side: Right
                  left: l.example.test
                  right: R.example.test.
                  suffix: i.example.test
                  names: [ga.i.example.test, www2.i.example.test]
                  prefix: m
                  rtt_ttl: 30m
                  answer_ttl: 100
                  max_resolvers: 5000
                """);
        assertThat(messages()).isEmpty();
        LrrrConfig l = c.lrrr();
        assertThat(l).isEqualTo(LrrrConfig.builder(LrrrConfig.Side.RIGHT, "l.example.test", "r.example.test",
                "i.example.test").name("ga.i.example.test").name("www2.i.example.test").prefix("m")
                .rttTtl(Duration.ofMinutes(30)).answerTtl(100).maxResolvers(5000).build());

        Map<String, Object> yaml = new DnsServiceType().toYaml(c).orElseThrow();
        String text = new YamlWriter().write(yaml);
        assertThat(text).contains("lrrr:").contains("side: right").contains("rtt_ttl: 30m");
        problems = new Problems();
        DnsConfig again = parse(text);
        assertThat(messages()).isEmpty();
        assertThat(again).isEqualTo(c);
    }

    @Test
    void defaultsAreLeftOutWhenWritten() throws Exception {
        DnsConfig c = parse("""
                listen: 127.0.0.1:53
                zones: {i.example.test: /z/i.zone, l.example.test: /z/l.zone}
                lrrr: {side: left, left: l.example.test, right: r.example.test, suffix: i.example.test, names: ga.i.example.test}
                """);
        assertThat(messages()).isEmpty();
        assertThat(c.lrrr().rttTtl()).isEqualTo(LrrrConfig.DEFAULT_RTT_TTL);
        assertThat(c.lrrr().prefix()).isEqualTo("lr");
        assertThat(DnsConfigYaml.write(c).get("lrrr")).isEqualTo(Map.of("side", "left", "left", "l.example.test",
                "right", "r.example.test", "suffix", "i.example.test", "names", List.of("ga.i.example.test")));
    }

    @Test
    void mistakesAreReportedWithTheirPlace() throws Exception {
        DnsConfig c = parse("""
                listen: 127.0.0.1:53
                zones: {i.example.test: /z/i.zone}
                lrrr:
                  side: middle
                  left: l.example.test
                  suffix: i.example.test
                  names: [ga.i.example.test]
                  rtt_tll: 1h
                """);
        assertThat(c).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).startsWith("dns.yaml:4:").contains("'middle' is not one of"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("dns.yaml:4:").contains("needs 'right'"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).startsWith("dns.yaml:8:")
                .contains("unknown key 'rtt_tll'").contains("did you mean 'rtt_ttl'"));
    }

    @Test
    void theServersOwnZonesMustBeServed() throws Exception {
        DnsConfig c = parse("""
                listen: 127.0.0.1:53
                zones: {i.example.test: /z/i.zone, r.example.test: /z/r.zone}
                lrrr: {side: left, left: l.example.test, right: r.example.test, suffix: i.example.test, names: [ga.i.example.test]}
                """);
        assertThat(c).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("lrrr zone l.example.test is not inside any zone"));
    }

    @Test
    void namesMustBeUnderTheSuffix() throws Exception {
        DnsConfig c = parse("""
                listen: 127.0.0.1:53
                zones: {i.example.test: /z/i.zone, l.example.test: /z/l.zone}
                lrrr:
                  side: left
                  left: l.example.test
                  right: r.example.test
                  suffix: i.example.test
                  names: [ga.example.test]
                """);
        assertThat(c).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).startsWith("dns.yaml:4:")
                .contains("ga.example.test is not under the suffix i.example.test"));
    }
}
