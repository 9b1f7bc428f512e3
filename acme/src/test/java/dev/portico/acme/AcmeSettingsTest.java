package dev.portico.acme;

import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import dev.portico.core.config.YamlWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code tls.acme} mapping: defaults, every key like the builder, errors at their file:line, writing back. */
@Timeout(10)
class AcmeSettingsTest {

    private final Problems problems = new Problems();

    private AcmeSettings parse(String yaml) throws Exception {
        Section tls = Section.of(new YamlLoader().load(yaml, "site.yaml"), "services.site.tls", problems);
        AcmeSettings s = AcmeSettings.read(tls.section("acme"));
        tls.finish();
        return s;
    }

    private List<String> messages() {
        return problems.list().stream().map(Object::toString).toList();
    }

    @Test
    void defaultsTryTlsAlpnFirstAndRenewAtTwoThirds() throws Exception {
        AcmeSettings s = parse("""
                acme:
                  directory: https://acme.example.test/dir
                  names: [Example.TEST., www.example.test]
                """);
        assertThat(messages()).isEmpty();
        assertThat(s.names()).containsExactly("example.test", "www.example.test");
        assertThat(s.challenges()).containsExactly(ChallengeType.TLS_ALPN_01, ChallengeType.HTTP_01);
        assertThat(s.renewBefore()).isNull();
        assertThat(s.email()).isNull();
        assertThat(s.caRoots()).isNull();
        assertThat(s).isEqualTo(AcmeSettings.builder().directory("https://acme.example.test/dir")
                .name("example.test").name("www.example.test").build());
    }

    @Test
    void readsEveryKeyLikeTheBuilderAndWritesThemBack() throws Exception {
        AcmeSettings s = parse("""
                acme:
                  email: ops@example.test
                  directory: https://acme.example.test:14000/dir
                  ca_roots: /etc/portico/acme-ca.pem
                  names: [example.test]
                  challenges: [http-01, TLS-ALPN-01]
                  renew_before: 30d
                """);
        assertThat(messages()).isEmpty();
        AcmeSettings built = AcmeSettings.builder().email("ops@example.test").directory("https://acme.example.test:14000/dir")
                .caRoots(Path.of("/etc/portico/acme-ca.pem")).name("example.test")
                .challenges(ChallengeType.HTTP_01, ChallengeType.TLS_ALPN_01).renewBefore(Duration.ofDays(30)).build();
        assertThat(s).isEqualTo(built);
        String yaml = new YamlWriter().write(java.util.Map.of("acme", s.toYaml()));
        assertThat(parse(yaml)).isEqualTo(s);
        assertThat(messages()).isEmpty();
    }

    @Test
    void aWildcardNameIsRefusedBecauseItNeedsDns01() throws Exception {
        AcmeSettings s = parse("""
                acme:
                  directory: https://acme.example.test/dir
                  names:
                    - example.test
                    - "*.example.test"
                """);
        assertThat(s).isNull();
        assertThat(messages()).singleElement().satisfies(m -> assertThat(m)
                .startsWith("site.yaml:5:7: ")
                .contains("'*.example.test' is a wildcard name")
                .contains("DNS-01")
                .contains("not support"));
        assertThatThrownBy(() -> AcmeSettings.builder().directory("https://a.test/dir").name("*.a.test").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DNS-01");
    }

    @Test
    void eachMistakeIsReportedAtItsLine() throws Exception {
        AcmeSettings s = parse("""
                acme:
                  email: not-an-address
                  directory: http://acme.example.test/dir
                  names: [example.test, "bad_name.test", 192.0.2.1, example.test, localhost]
                  challenges: [tls-alpn-01, dns-01, htp-01]
                  renew_before: soon
                  renew_befor: 3d
                """);
        assertThat(s).isNull();
        assertThat(messages()).containsExactlyInAnyOrder(
                "site.yaml:2:10: bad 'services.site.tls.acme.email': 'not-an-address' is not an email address",
                "site.yaml:3:14: bad 'services.site.tls.acme.directory': directory 'http://acme.example.test/dir' must be an https:// URL",
                "site.yaml:4:25: bad 'services.site.tls.acme.names': 'bad_name.test' is not a DNS name (label 'bad_name': "
                        + "letters, digits and inner hyphens, 1 to 63 characters; write other scripts in punycode)",
                "site.yaml:4:42: bad 'services.site.tls.acme.names': '192.0.2.1' is an IP address; acme takes DNS names only",
                "site.yaml:4:67: bad 'services.site.tls.acme.names': 'localhost' is not a fully qualified DNS name (it needs a dot)",
                "site.yaml:4:10: 'services.site.tls.acme.names' lists 'example.test' twice",
                "site.yaml:5:29: bad 'services.site.tls.acme.challenges': dns-01 is not supported yet; use tls-alpn-01 or http-01",
                "site.yaml:5:37: bad 'services.site.tls.acme.challenges': 'htp-01' is not a challenge type (tls-alpn-01, http-01)",
                "site.yaml:6:17: bad 'services.site.tls.acme.renew_before': 'soon' is not a duration (examples: 500ms, 30s, 5m, 2h, 7d)",
                "site.yaml:7:3: unknown key 'renew_befor' in 'services.site.tls.acme'; did you mean 'renew_before'?");
    }

    @Test
    void directoryAndNamesAreRequired() throws Exception {
        assertThat(parse("""
                acme:
                  email: ops@example.test
                """)).isNull();
        assertThat(messages()).containsExactly(
                "site.yaml:2:3: 'services.site.tls.acme' needs 'directory'",
                "site.yaml:2:3: 'services.site.tls.acme' needs 'names', the DNS names to get certificates for");
    }
}
