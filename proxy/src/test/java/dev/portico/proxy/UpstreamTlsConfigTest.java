package dev.portico.proxy;

import dev.portico.core.config.Problems;
import dev.portico.core.config.YamlWriter;
import dev.portico.core.net.HostPort;
import dev.portico.core.tls.ClientTlsSettings;
import dev.portico.testing.BackendCerts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading and writing the TLS to backends: {@code https://} backends and {@code tls:} of pools and backends. */
@Timeout(20)
class UpstreamTlsConfigTest {

    @TempDir
    Path dir;

    private ProxyConfig parse(String yaml, Problems problems) throws Exception {
        return ProxyServiceTypeTest.TestYaml.parse(yaml, problems);
    }

    @Test
    void httpsBackendsPoolTlsAndBackendOverridesAreRead() throws Exception {
        BackendCerts.Authority ca = BackendCerts.authority("ca");
        Path caFile = ca.writeCert(dir.resolve("ca.pem"));
        BackendCerts.Issued client = ca.client("proxy");
        Path cert = client.writeCert(dir.resolve("proxy.pem"));
        Path key = client.writeKey(dir.resolve("proxy.key"));
        ProxyConfig c = parse("""
                type: proxy
                listen: [127.0.0.1:0]
                pools:
                  "*": {backends: ["https://a.test:8443", "https://b.test", 127.0.0.1:9000]}
                  api.test:
                    backends: [10.0.0.1:443, {address: 10.0.0.2:443, tls: {sni: two.internal, verify: false}}]
                    tls: {ca: %s, sni: api.internal, client_cert: %s, client_key: %s}
                """.formatted(caFile, cert, key), new Problems());
        assertThat(c).isNotNull();
        PoolSpec star = c.pools().get("*");
        assertThat(star.tls()).isNull();
        assertThat(star.backends()).containsExactly(HostPort.parse("a.test:8443"), HostPort.parse("b.test:443"),
                HostPort.parse("127.0.0.1:9000"));
        assertThat(star.tls(HostPort.parse("a.test:8443"))).isEqualTo(ClientTlsSettings.DEFAULTS);
        assertThat(star.tls(HostPort.parse("127.0.0.1:9000"))).isNull();
        PoolSpec api = c.pools().get("api.test");
        ClientTlsSettings pool = new ClientTlsSettings(caFile, true, "api.internal", cert, key);
        assertThat(api.tls(HostPort.parse("10.0.0.1:443"))).isEqualTo(pool);
        assertThat(api.tls(HostPort.parse("10.0.0.2:443")))
                .isEqualTo(pool.toBuilder().sni("two.internal").verify(false).build());

        String written = new YamlWriter().write(new ProxyServiceType().toYaml(c).orElseThrow());
        assertThat(parse(written, new Problems())).isEqualTo(c);
    }

    @Test
    void missingFilesAndAMismatchedKeyAreNamedWithTheirLine() throws Exception {
        BackendCerts.Authority ca = BackendCerts.authority("ca");
        Path cert = ca.client("proxy").writeCert(dir.resolve("proxy.pem"));
        Path otherKey = ca.client("other").writeKey(dir.resolve("other.key"));
        Path notPem = Files.writeString(dir.resolve("not.pem"), "hello\n");
        Problems problems = new Problems();
        ProxyConfig c = parse("""
                type: proxy
                listen: [127.0.0.1:0]
                pools:
                  "*":
                    backends: ["https://a.test:8443"]
                    tls:
                      ca: %s
                      client_cert: %s
                      client_key: %s
                  b.test:
                    backends: ["https://b.test:8443"]
                    tls: {ca: %s}
                  c.test:
                    backends: ["ftp://c.test:21"]
                  d.test:
                    backends: ["https://d.test:8443"]
                    tls: {ca: %s}
                """.formatted(dir.resolve("nosuch.pem"), cert, otherKey, notPem, dir), problems);
        assertThat(c).isNull();
        String all = problems.list().toString();
        assertThat(all).contains("test.yaml:7:").contains("ca").contains("nosuch.pem: no such file");
        assertThat(all).contains("test.yaml:12:").contains("not.pem: holds no PEM certificate");
        assertThat(all).contains("test.yaml:14:").contains("scheme other than http:// or https://");
        assertThat(all).contains("test.yaml:17:").contains(dir + ": cannot read it");

        problems = new Problems();
        assertThat(parse("""
                type: proxy
                listen: [127.0.0.1:0]
                backends: ["https://a.test:8443"]
                backend_tls:
                  client_cert: %s
                  client_key: %s
                """.formatted(cert, otherKey), problems)).isNull();
        assertThat(problems.list().toString()).contains("test.yaml:6:").contains("client_key")
                .contains("other.key does not match the certificate in " + cert);

        problems = new Problems();
        assertThat(parse("""
                type: proxy
                listen: [127.0.0.1:0]
                backends: ["https://a.test:8443"]
                backend_tls: {client_cert: %s}
                """.formatted(cert), problems)).isNull();
        assertThat(problems.list().toString()).contains("test.yaml:4:").contains("needs both client_cert and client_key");

        // the service's own 'tls' is its listeners' TLS: backend settings there are named as such
        problems = new Problems();
        assertThat(parse("""
                type: proxy
                listen: [127.0.0.1:0]
                backends: ["https://a.test:8443"]
                tls: {ca: %s}
                """.formatted(cert), problems)).isNull();
        assertThat(problems.list().toString()).contains("test.yaml:4:")
                .contains("TLS to the backends of the 'backends' shorthand is 'backend_tls'");
    }
}
