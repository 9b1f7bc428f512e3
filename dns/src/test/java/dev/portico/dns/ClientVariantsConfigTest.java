package dev.portico.dns;

import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import dev.portico.core.config.YamlWriter;
import dev.portico.core.net.Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The geo, nets and nets_file keys and geoip_db: reading, errors with their place, writing back. */
@Timeout(10)
class ClientVariantsConfigTest {

    @TempDir
    Path dir;
    private final Problems problems = new Problems();

    private DnsConfig parse(String yaml) throws Exception {
        Path file = dir.resolve("portico.yaml");
        Files.writeString(file, yaml);
        Section s = Section.of(new YamlLoader().load(yaml, file.toString()), "services.ns", problems);
        return new DnsServiceType().parse("ns", s);
    }

    private List<String> messages() {
        return problems.list().stream().map(Object::toString).toList();
    }

    private static final String FULL = """
            type: dns
            listen: [127.0.0.1:5353]
            zones: {example.test: example.test.zone}
            geoip_db: GeoLite2-Country.mmdb
            dynamic:
              www.example.test:
                ttl: 300/5
                addresses: [10.0.0.1, 10.0.0.2]
                health: tcp
                geo:
                  CN: [10.0.2.1]
                  AS: [10.0.3.1]
                  "us/ca": [10.0.4.1, {address: 10.0.4.2, weight: 2}]
                nets:
                  127.0.0.0/24: [10.0.5.1]
                  "2001:db8::/32": 10.0.5.2
                nets_file: nets.txt
            """;

    @Test
    void readsTheKeysRelativeToTheConfigFile() throws Exception {
        DnsConfig c = parse(FULL);
        assertThat(messages()).isEmpty();
        assertThat(c.geoipDb()).isEqualTo(dir.resolve("GeoLite2-Country.mmdb"));
        ClientVariants v = c.dynamic().getFirst().variants();
        assertThat(v.geo().keySet()).containsExactly("CN", "AS", "US/CA");
        assertThat(v.geo().get("US/CA")).containsExactly(AddressSpec.parse("10.0.4.1"), AddressSpec.parse("10.0.4.2 weight 2"));
        assertThat(v.nets()).containsEntry(Cidr.parse("127.0.0.0/24"), List.of(AddressSpec.parse("10.0.5.1")))
                .containsEntry(Cidr.parse("2001:db8::/32"), List.of(AddressSpec.parse("10.0.5.2")));
        assertThat(v.netsFile()).isEqualTo(dir.resolve("nets.txt"));
    }

    @Test
    void writesItselfBackToAnEqualConfig() throws Exception {
        DnsConfig c = parse(FULL);
        Map<String, Object> tree = new DnsServiceType().toYaml(c).orElseThrow();
        String yaml = new YamlWriter().write(tree);
        assertThat(yaml).contains("geoip_db").contains("US/CA").contains("127.0.0.0/24").contains("nets_file");
        Section again = Section.of(new YamlLoader().load(yaml, "written.yaml"), "services.ns", problems);
        assertThat(new DnsServiceType().parse("ns", again)).isEqualTo(c);
        assertThat(messages()).isEmpty();
    }

    @Test
    void everyOtherKeyWritesBackToo() throws Exception {
        DnsConfig c = parse("""
                type: dns
                listen: [127.0.0.1:5353, "[::1]:5353"]
                zones: {example.test: /srv/zones/example.test.zone}
                edns_max_payload: 1400
                tcp_idle_timeout: 3s
                cache_entries: 10
                dynamic:
                  www.example.test:
                    ttl: 300/10
                    addresses: [10.0.0.1, 10.0.0.2 weight 3, "10.0.0.3:8080", {address: "2001:db8::1", weight: 2, port: 81}]
                    health: {type: http, path: /up, port: 8000, interval: 5s, rise: 4, fall: 2}
                    answers: 2
                    last_resort: [192.0.2.9]
                  _www.example.test: {ttl: 60, addresses: [10.0.1.1], health: icmp}
                  __www.example.test: {addresses: [10.0.1.2], health: "http:/ok"}
                """);
        assertThat(messages()).isEmpty();
        String yaml = new YamlWriter().write(new DnsServiceType().toYaml(c).orElseThrow());
        Section again = Section.of(new YamlLoader().load(yaml, "written.yaml"), "services.ns", problems);
        assertThat(new DnsServiceType().parse("ns", again)).isEqualTo(c);
        assertThat(messages()).isEmpty();
    }

    @Test
    void theJavaBuilderSetsTheSame() throws Exception {
        DnsConfig fromFile = parse(FULL);
        DynamicRecordSpec fileSpec = fromFile.dynamic().getFirst();
        DnsConfig built = DnsConfig.builder().listen("127.0.0.1:5353").zone("example.test", dir.resolve("example.test.zone"))
                .geoipDb(dir.resolve("GeoLite2-Country.mmdb"))
                .dynamic(new DynamicRecordSpec("www.example.test", 300, 5,
                        List.of(AddressSpec.parse("10.0.0.1"), AddressSpec.parse("10.0.0.2")), fileSpec.health(), 0, List.of(),
                        ClientVariants.builder().geo("CN", "10.0.2.1").geo("AS", "10.0.3.1")
                                .geo("US/CA", "10.0.4.1", "10.0.4.2 weight 2")
                                .net("127.0.0.0/24", "10.0.5.1").net("2001:db8::/32", "10.0.5.2")
                                .netsFile(dir.resolve("nets.txt")).build()))
                .build();
        assertThat(built).isEqualTo(fromFile);
    }

    @Test
    void badKeysAndValuesAreReportedWithTheirPlace() throws Exception {
        DnsConfig c = parse("""
                listen: 127.0.0.1:53
                zones: {example.test: a.zone}
                geoip_db: x.mmdb
                dynamic:
                  www.example.test:
                    addresses: [10.0.0.1]
                    geo:
                      USA: [10.0.2.1]
                      DE: []
                    nets:
                      10.0.0.0/33: [10.0.5.1]
                      127.0.0.0/8: [not-an-ip]
                    net_file: x.txt
                """);
        assertThat(c).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("portico.yaml:8:").contains("'USA' is not a list of two-letter"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("portico.yaml:9:").contains("needs a list of addresses"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("portico.yaml:11:").contains("prefix length out of range"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("portico.yaml:12:").contains("'not-an-ip' is not an IP address"));
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("portico.yaml:13:").contains("did you mean 'nets_file'"));
    }

    @Test
    void geoVariantsNeedAGeoipDatabase() throws Exception {
        DnsConfig c = parse("""
                listen: 127.0.0.1:53
                zones: {example.test: a.zone}
                dynamic:
                  www.example.test:
                    addresses: [10.0.0.1]
                    geo: {CN: [10.0.2.1]}
                """);
        assertThat(c).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("portico.yaml:6:").contains("needs a GeoIP database")
                .contains("geoip_db"));
        assertThatThrownBy(() -> DnsConfig.builder().listen("127.0.0.1:53").zone("example.test", Path.of("a.zone"))
                .dynamic(DynamicRecordSpec.of("www.example.test", 60, RangeAnswersTest.NONE, "127.0.0.1")
                        .withVariants(ClientVariants.builder().geo("CN", "127.0.0.2").build())).build())
                .hasMessageContaining("no geoip_db");
    }

    @Test
    void aCodeMayNameOnlyOneVariant() {
        assertThatThrownBy(() -> ClientVariants.builder().geo("US/CA", "127.0.0.1").geo("ca", "127.0.0.2").build())
                .hasMessageContaining("geo code CA is listed twice");
    }

    @Test
    void rangesFileLinesAreCheckedWithTheirLineNumber() throws Exception {
        assertThat(NetsFile.parse("# c\n\n127.0.0.0/8 127.0.0.1,127.0.0.2:81 weight 2\n::/0 127.0.0.3\n", "n.txt"))
                .containsEntry(Cidr.parse("127.0.0.0/8"), List.of(AddressSpec.parse("127.0.0.1"), AddressSpec.parse("127.0.0.2:81 weight 2")))
                .containsEntry(Cidr.parse("::/0"), List.of(AddressSpec.parse("127.0.0.3")));
        assertThatThrownBy(() -> NetsFile.parse("127.0.0.0/8 127.0.0.1\n127.0.0.0/8\n", "n.txt"))
                .hasMessageStartingWith("n.txt:2: ");
        assertThatThrownBy(() -> NetsFile.parse("127.0.0.0/8 127.0.0.1\n\n127.0.0.0/8 127.0.0.2\n", "n.txt"))
                .hasMessage("n.txt:3: 127.0.0.0/8 is listed twice");
        assertThatThrownBy(() -> NetsFile.parse("127.0.0.0/8 nowhere\n", "n.txt"))
                .hasMessage("n.txt:1: 'nowhere' is not an IP address");
    }
}
