package dev.portico.proxy;

import dev.portico.core.config.Problems;
import dev.portico.core.config.YamlWriter;
import dev.portico.core.transport.ListenSpec;
import dev.portico.testing.TestPki;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The proxy's {@code tls:} section and {@code listen} entries as read from a config file. */
@Timeout(30)
class ProxyTlsConfigTest {

    @TempDir
    Path dir;
    private TestPki pki;
    private TestPki.Issued site;

    @BeforeEach
    void setUp() {
        pki = new TestPki(dir.resolve("pki"), "Config CA");
        site = pki.server("site", "example.test");
    }

    private String yaml(String listen, String tlsMore) {
        return "type: proxy\nlisten: " + listen + "\nbackends: [127.0.0.1:9001]\ntls:\n"
                + "  certificates: [{cert: " + site.cert() + ", key: " + site.key() + "}]\n" + tlsMore;
    }

    @Test
    void listenEntriesAreTlsWhenTheSectionIsSetAndCanMixPlainOnes() throws Exception {
        Problems problems = new Problems();
        ProxyConfig c = ProxyServiceTypeTest.TestYaml.parse(yaml(
                "[127.0.0.1:8443, {address: 127.0.0.1:8080, tls: off, http2: h2c}]",
                "  client_ca: " + pki.caFile() + "\n  verify: optional\n  client_cert_header: X-Client-Subject\n  hsts: 1d\n"),
                problems);
        assertThat(problems.list()).isEmpty();
        assertThat(c.listeners()).containsExactly(
                ListenSpec.tls(dev.portico.core.net.HostPort.parse("127.0.0.1:8443")),
                new ListenSpec(dev.portico.core.net.HostPort.parse("127.0.0.1:8080"), false, ListenSpec.Http2.H2C));
        assertThat(c.clientCertHeader()).isEqualTo("X-Client-Subject");
        assertThat(c.tls().hsts()).hasDays(1);
        // written back and read again: the same config
        String written = new YamlWriter().write(new ProxyServiceType().toYaml(c).orElseThrow());
        assertThat(ProxyServiceTypeTest.TestYaml.parse(written)).isEqualTo(c);
    }

    @Test
    void clientCertHeaderNeedsAClientCaAndAHeaderName() throws Exception {
        Problems problems = new Problems();
        assertThat(ProxyServiceTypeTest.TestYaml.parse(yaml("[127.0.0.1:8443]",
                "  client_cert_header: X-Client-Subject\n"), problems)).isNull();
        assertThat(problems.list().toString()).contains("test.yaml:6")
                .contains("'services.p.tls.client_cert_header' needs 'client_ca'");

        Problems bad = new Problems();
        assertThat(ProxyServiceTypeTest.TestYaml.parse(yaml("[127.0.0.1:8443]",
                "  client_ca: " + pki.caFile() + "\n  client_cert_header: \"X Subject:\"\n"), bad)).isNull();
        assertThat(bad.list().toString()).contains("must be a header name, not 'X Subject:'");
    }

    @Test
    void aTlsListenerWithoutTheSectionIsNamed() throws Exception {
        Problems problems = new Problems();
        assertThat(ProxyServiceTypeTest.TestYaml.parse("type: proxy\nbackends: [127.0.0.1:9001]\n"
                + "listen: [{address: 127.0.0.1:8443, tls: on}]\n", problems)).isNull();
        assertThat(problems.list().toString()).contains("is TLS ('tls: on') but 'services.p' has no 'tls' section");
    }
}
