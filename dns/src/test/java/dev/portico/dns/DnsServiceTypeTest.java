package dev.portico.dns;

import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import dev.portico.core.net.HostPort;
import dev.portico.upstream.health.HealthCheckType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class DnsServiceTypeTest {

    private final Problems problems = new Problems();

    private DnsConfig parse(String yaml) throws Exception {
        Section s = Section.of(new YamlLoader().load(yaml, "dns.yaml"), "services.ns", problems);
        return new DnsServiceType().parse("ns", s);
    }

    private List<String> messages() {
        return problems.list().stream().map(Object::toString).toList();
    }

    @Test
    void readsEveryKey() throws Exception {
        DnsConfig c = parse("""
                type: dns
                listen: [127.0.0.1:5353, "[::1]:5353"]
                zones:
                  example.test: /srv/zones/example.test.zone
                  Other.Test.: /srv/zones/other.zone
                edns_max_payload: 1400
                tcp_idle_timeout: 3s
                cache_entries: 10
                admin_state_file: /var/lib/portico/dns.state
                dynamic:
                  www.example.test:
                    ttl: 300/10
                    addresses: [10.0.0.1, 10.0.0.2 weight 3, "10.0.0.3:8080", {address: "2001:db8::1", weight: 2, port: 81}]
                    health: {type: http, path: /up, port: 8000, interval: 5s, rise: 4, fall: 2}
                    answers: 2
                    last_resort: [192.0.2.9]
                  _www.example.test: {ttl: 60, addresses: [10.0.1.1], health: icmp}
                """);

        assertThat(messages()).isEmpty();
        assertThat(c.listen()).containsExactly(new HostPort("127.0.0.1", 5353), new HostPort("::1", 5353));
        assertThat(c.zones()).containsEntry("example.test", Path.of("/srv/zones/example.test.zone"))
                .containsEntry("other.test", Path.of("/srv/zones/other.zone"));
        assertThat(c.ednsMaxPayload()).isEqualTo(1400);
        assertThat(c.tcpIdleTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.cacheEntries()).isEqualTo(10);
        assertThat(c.adminStateFile()).isEqualTo(Path.of("/var/lib/portico/dns.state"));
        assertThat(new DnsServiceType().toYaml(c).orElseThrow()).containsEntry("admin_state_file", "/var/lib/portico/dns.state");
        DynamicRecordSpec www = c.dynamic().getFirst();
        assertThat(www.name()).isEqualTo("www.example.test");
        assertThat(www.ttlMax()).isEqualTo(300);
        assertThat(www.ttlMin()).isEqualTo(10);
        assertThat(www.addresses()).containsExactly(
                new AddressSpec(InetAddress.getByName("10.0.0.1"), 1, 0),
                new AddressSpec(InetAddress.getByName("10.0.0.2"), 3, 0),
                new AddressSpec(InetAddress.getByName("10.0.0.3"), 1, 8080),
                new AddressSpec(InetAddress.getByName("2001:db8::1"), 2, 81));
        assertThat(www.health().type()).isEqualTo(HealthCheckType.HTTP);
        assertThat(www.health().path()).isEqualTo("/up");
        assertThat(www.health().port()).isEqualTo(8000);
        assertThat(www.health().rise()).isEqualTo(4);
        assertThat(www.answers()).isEqualTo(2);
        assertThat(www.lastResort()).containsExactly(InetAddress.getByName("192.0.2.9"));
        DynamicRecordSpec backup = c.dynamic().get(1);
        assertThat(backup.name()).isEqualTo("_www.example.test");
        assertThat(backup.ttlMax()).isEqualTo(60);
        assertThat(backup.ttlMin()).isEqualTo(60);
        assertThat(backup.health().type()).isEqualTo(HealthCheckType.ICMP);
    }

    @Test
    void relativeZonePathsAreRelativeToTheWorkingDirectoryWithoutAConfigFile() throws Exception {
        DnsConfig c = parse("""
                listen: 127.0.0.1:53
                zones: {example.test: zones/example.test.zone}
                """);
        assertThat(messages()).isEmpty();
        assertThat(c.zones().get("example.test")).isEqualTo(Path.of("zones/example.test.zone"));
        assertThat(c.ednsMaxPayload()).isEqualTo(DnsConfig.DEFAULT_EDNS_MAX_PAYLOAD);
        assertThat(c.dynamic()).isEmpty();
        assertThat(c.adminStateFile()).isNull();
    }

    @Test
    void unknownKeysGetSuggestions() throws Exception {
        DnsConfig c = parse("""
                listen: 127.0.0.1:53
                zones: {example.test: a.zone}
                edns_max_paylod: 1400
                dynamic:
                  www.example.test: {ttl: 60, adresses: [10.0.0.1]}
                """);
        assertThat(c).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("dns.yaml:3:")
                .contains("unknown key 'edns_max_paylod'").contains("did you mean 'edns_max_payload'"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("did you mean 'addresses'"));
    }

    @Test
    void badValuesAreReportedWithTheirPlace() throws Exception {
        DnsConfig c = parse("""
                listen: 127.0.0.1:53
                zones: {example.test: a.zone}
                dynamic:
                  www.example.test:
                    ttl: 10/300
                    addresses: [10.0.0.1 weight 500, not-an-ip]
                  www.elsewhere.test: {addresses: [10.0.0.1]}
                """);
        assertThat(c).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("dns.yaml:5:").contains("MAX/MIN"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("weight 500 is out of range"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("'not-an-ip' is not an IP address"));
    }

    @Test
    void aDynamicRecordOutsideTheZonesIsRejected() throws Exception {
        DnsConfig c = parse("""
                listen: 127.0.0.1:53
                zones: {example.test: a.zone}
                dynamic:
                  www.elsewhere.test: {addresses: [10.0.0.1]}
                """);
        assertThat(c).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("not inside any zone"));
    }

    @Test
    void missingListenAndZonesAreReported() throws Exception {
        assertThat(parse("type: dns\n")).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("needs 'listen'"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("needs 'zones'"));
    }
}
