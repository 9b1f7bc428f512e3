package dev.portico.web.tls;

import dev.portico.core.config.ConfigException;
import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import dev.portico.core.config.YamlWriter;
import dev.portico.core.tls.TlsSettings;
import dev.portico.core.transport.ListenSpec;
import dev.portico.testing.TestPki;
import dev.portico.web.WebConfig;
import dev.portico.web.WebServiceType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code tls:} section and {@code listen} entries as read from a file: each mistake at its line. */
@Timeout(30)
class TlsConfigTest {

    @TempDir
    Path dir;

    private final WebServiceType type = new WebServiceType();
    private TestPki pki;
    private TestPki.Issued good;

    @BeforeEach
    void setUp() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        pki = new TestPki(dir, "Config CA");
        good = pki.server("good", "example.test");
    }

    private Path file(String yaml) throws Exception {
        Path f = dir.resolve("portico-" + System.nanoTime() + ".yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private List<String> problems(String yaml) throws Exception {
        Path f = file(yaml);
        Problems problems = new Problems();
        type.parse("site", Section.of(new YamlLoader().load(f), "services.site", problems));
        return problems.list().stream().map(ConfigException.Problem::toString).toList();
    }

    private WebConfig parse(String yaml) throws Exception {
        Path f = file(yaml);
        Problems problems = new Problems();
        WebConfig c = type.parse("site", Section.of(new YamlLoader().load(f), "services.site", problems));
        assertThat(problems.list()).isEmpty();
        return c;
    }

    private String tls(String certificates, String more) {
        return "type: web\nroot: www\nlisten: [127.0.0.1:8443]\ntls:\n  certificates:\n" + certificates + more;
    }

    private static String pair(Path cert, Path key) {
        return "    - {cert: " + cert + ", key: " + key + "}\n";
    }

    @Test
    void anEncryptedKeyIsNamed() throws Exception {
        TestPki.Issued enc = pki.issue("enc", TestPki.KeyType.EC, TestPki.KeyFormat.ENCRYPTED,
                Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(9)), "example.test");
        assertThat(problems(tls(pair(enc.cert(), enc.key()), "")))
                .singleElement().asString().contains(":6:").contains("key " + enc.key() + " is encrypted");
    }

    @Test
    void aKeyThatDoesNotMatchItsCertificateIsNamed() throws Exception {
        TestPki.Issued other = pki.issue("other", TestPki.KeyType.RSA, TestPki.KeyFormat.TRADITIONAL,
                Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(9)), "other.test");
        assertThat(problems(tls(pair(good.cert(), other.key()), "")))
                .singleElement().asString().contains(":6:")
                .contains("key " + other.key() + " does not match certificate " + good.cert());
    }

    @Test
    void keysInEveryPemFormLoad() throws Exception {
        Instant from = Instant.now().minus(Duration.ofDays(1));
        Instant to = Instant.now().plus(Duration.ofDays(9));
        TestPki.Issued ecSec1 = pki.issue("ec1", TestPki.KeyType.EC, TestPki.KeyFormat.TRADITIONAL, from, to, "a.test");
        TestPki.Issued rsa1 = pki.issue("rsa1", TestPki.KeyType.RSA, TestPki.KeyFormat.TRADITIONAL, from, to, "b.test");
        TestPki.Issued rsa8 = pki.issue("rsa8", TestPki.KeyType.RSA, TestPki.KeyFormat.PKCS8, from, to, "c.test");
        assertThat(Files.readString(ecSec1.key())).startsWith("-----BEGIN EC PRIVATE KEY-----");
        assertThat(Files.readString(rsa1.key())).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        WebConfig c = parse(tls(pair(ecSec1.cert(), ecSec1.key()) + pair(rsa1.cert(), rsa1.key())
                + pair(rsa8.cert(), rsa8.key()) + pair(good.cert(), good.key()), ""));
        assertThat(c.tls().certificates()).hasSize(4);
    }

    @Test
    void aChainInTheWrongOrderIsNamed() throws Exception {
        String text = Files.readString(good.cert());
        int second = text.indexOf("-----BEGIN CERTIFICATE-----", 10);
        Path reversed = dir.resolve("reversed.pem");
        Files.writeString(reversed, text.substring(second) + text.substring(0, second));
        assertThat(problems(tls(pair(reversed, good.key()), "")))
                .singleElement().asString().contains(reversed + ": the chain is in the wrong order");
    }

    @Test
    void unknownKeysAndBadValuesEachAtTheirLine() throws Exception {
        List<String> p = problems(tls(pair(good.cert(), good.key()), """
                  protocol: [TLSv1.3]
                  protocols: [TLSv1.0]
                  ciphers: [TLS_RSA_WITH_3DES_EDE_CBC_SHA]
                  verify: required
                  handshake_timeout: 0s
                  hsts: forever
                """));
        assertThat(p).anyMatch(m -> m.contains(":7:") && m.contains("unknown key 'protocol' in 'services.site.tls'; did you mean 'protocols'?"));
        assertThat(p).anyMatch(m -> m.contains(":8:") && m.contains("'TLSv1.0' is not one of [TLSv1.2, TLSv1.3]"));
        assertThat(p).anyMatch(m -> m.contains(":9:") && m.contains("weak cipher suite"));
        assertThat(p).anyMatch(m -> m.contains(":10:") && m.contains("'services.site.tls.verify' needs 'client_ca'"));
        assertThat(p).anyMatch(m -> m.contains(":11:") && m.contains("handshake_timeout' must be more than 0s"));
        assertThat(p).anyMatch(m -> m.contains(":12:") && m.contains("bad 'services.site.tls.hsts'"));
    }

    @Test
    void filesThatCannotBeUsed() throws Exception {
        Files.write(dir.resolve("short.key"), new byte[40]);
        Files.writeString(dir.resolve("bad.ocsp"), "not der");
        List<String> p = problems(tls(pair(dir.resolve("missing.pem"), good.key()), """
                  ticket_key_file: short.key
                  ocsp: bad.ocsp
                """));
        assertThat(p).anyMatch(m -> m.contains("certificate file " + dir.resolve("missing.pem") + " cannot be read"));
        assertThat(p).anyMatch(m -> m.contains(":7:") && m.contains("holds 40 bytes; it needs one or more 48-byte keys"));
        assertThat(p).anyMatch(m -> m.contains(":8:") && m.contains("is not a DER OCSP response"));
    }

    @Test
    void aTlsListenerNeedsCertificates() throws Exception {
        assertThat(problems("type: web\nroot: www\nlisten: [{address: 127.0.0.1:8443, tls: on}]\n"))
                .singleElement().asString().contains("is TLS ('tls: on') but 'services.site' has no 'tls' section");
        assertThat(problems("type: web\nroot: www\nlisten: [127.0.0.1:8443]\ntls: {hsts: 1d}\n"))
                .singleElement().asString().contains("needs 'certificates'").contains("or 'self_signed: true'");
        assertThat(problems(tls(pair(good.cert(), good.key()), "").replace("listen: [127.0.0.1:8443]",
                "listen: [{address: 127.0.0.1:8443, http2: h2c}]")))
                .singleElement().asString().contains("h2c' is for plain listeners");
    }

    @Test
    void listenEntriesMixPlainAndTlsAndRoundTrip() throws Exception {
        WebConfig c = parse(tls(pair(good.cert(), good.key()), """
                  hsts: 365d
                  redirect_http: 127.0.0.1:8080
                  alpn: [http/1.1]
                """).replace("listen: [127.0.0.1:8443]",
                "listen: [127.0.0.1:8443, {address: 127.0.0.1:8081, tls: off}, {address: \"[::1]:8444\", http2: off}]"));
        assertThat(c.listeners()).containsExactly(
                new ListenSpec(dev.portico.core.net.HostPort.parse("127.0.0.1:8443"), true, ListenSpec.Http2.ON),
                new ListenSpec(dev.portico.core.net.HostPort.parse("127.0.0.1:8081"), false, ListenSpec.Http2.OFF),
                new ListenSpec(dev.portico.core.net.HostPort.parse("[::1]:8444"), true, ListenSpec.Http2.OFF));
        assertThat(c.tls().hsts()).isEqualTo(Duration.ofDays(365));
        assertThat(c.tls().alpn()).containsExactly("http/1.1");
        assertThat(c.tls().protocols()).isEqualTo(TlsSettings.DEFAULT_PROTOCOLS);
        String yaml = new YamlWriter().write(type.toYaml(c).orElseThrow());
        assertThat(parse(yaml)).isEqualTo(c);
        // a plain config keeps plain string listeners
        WebConfig plain = parse("type: web\nroot: www\nlisten: [127.0.0.1:8080]\n");
        assertThat(plain.listeners()).containsExactly(ListenSpec.plain(dev.portico.core.net.HostPort.parse("127.0.0.1:8080")));
        assertThat(plain.tls()).isNull();
    }

    @Test
    void selfSignedNeedsNoFiles() throws Exception {
        WebConfig c = parse("type: web\nroot: www\nlisten: [127.0.0.1:8443]\ntls: {self_signed: true}\n");
        assertThat(c.tls().selfSigned()).isTrue();
        assertThat(c.tls().certificates()).isEmpty();
    }

    @Test
    void acmeStandsInForCertificatesAndRoundTrips() throws Exception {
        WebConfig c = parse("""
                type: web
                root: www
                listen: [127.0.0.1:8443]
                tls:
                  acme:
                    directory: https://acme.example.test/directory
                    names: [Example.Test, www.example.test.]
                    challenges: [http-01]
                """);
        assertThat(c.acme().names()).containsExactly("example.test", "www.example.test");
        assertThat(c.acme().challenges()).containsExactly(dev.portico.acme.ChallengeType.HTTP_01);
        assertThat(c.tls().certificates()).isEmpty();
        assertThat(c.tls().selfSigned()).as("stand-ins until the first certificate").isTrue();
        String yaml = new YamlWriter().write(type.toYaml(c).orElseThrow());
        assertThat(parse(yaml)).isEqualTo(c);
        // without acme, a tls section still needs certificates or self_signed
        assertThat(problems("type: web\nroot: www\nlisten: [127.0.0.1:8443]\ntls: {hsts: 1d}\n"))
                .singleElement().asString().contains("needs 'certificates'");
        assertThat(problems("type: web\nroot: www\nlisten: [127.0.0.1:8443]\ntls: {acme: {names: [a.test]}}\n"))
                .singleElement().asString().contains("directory");
    }
}
