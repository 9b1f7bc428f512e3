package dev.portico.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.acme.CertificateManager;
import dev.portico.acme.NameStatus;
import dev.portico.acme.PebbleClient;
import dev.portico.acme.PebbleServer;
import dev.portico.server.CliRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The admin endpoint with {@code admin.tls.acme} against pebble (TLS-ALPN-01 on the admin
 * listener itself, validated for real): it serves the issued certificate to a client that trusts
 * only pebble's root and checks the name, still asks for the token, lists the name under
 * {@code admin} in {@code /api/v1/tls}, and serves the new certificate after a forced renewal.
 */
@Timeout(240)
class AdminAcmeTest {

    private static final String NAME = "admin.portico.test";
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path pebbleDir;
    static PebbleServer pebble;
    static int tlsPort;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPebble() throws Exception {
        assertThat(PebbleServer.installed()).as("pebble is not installed, but this test gets certificates from it:"
                + " apt-get install pebble").isTrue();
        tlsPort = PebbleServer.freePort();
        pebble = PebbleServer.start(pebbleDir, PebbleServer.freePort(), tlsPort);
    }

    @AfterAll
    static void stopPebble() {
        if (pebble != null) {
            pebble.close();
        }
    }

    @Test
    void servesTheIssuedCertificateBehindTheTokenListsItAndRenewsIt() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        Path file = Files.writeString(dir.resolve("portico.yaml"), """
                workers: 1
                state_dir: state
                admin:
                  listen: 127.0.0.1:%d
                  tokens:
                    - {token: writer, role: write}
                    - {token: reader, role: read}
                  tls:
                    acme:
                      directory: %s
                      ca_roots: %s
                      names: [%s]
                services:
                  site: {type: web, listen: 127.0.0.1:0, root: www}
                """.formatted(tlsPort, pebble.directory(), pebble.caRootsFile(), NAME));
        X509Certificate root = pebble.issuingRoot();
        CliRun.runChecked(d -> {
            assertThat(d.admin().baseUrl()).isEqualTo("https://127.0.0.1:" + tlsPort);
            CertificateManager acme = d.adminCertificates();
            assertThat(acme).isNotNull();
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                NameStatus st = acme.status(NAME).orElseThrow();
                return st.serial().isPresent() || st.lastError().isPresent();
            });
            NameStatus issued = acme.status(NAME).orElseThrow();
            assertThat(issued.lastError()).as("the order through pebble").isEmpty();
            String first = issued.serial().orElseThrow().toString(16);

            // Verified against pebble's root with the name checked: only the issued certificate passes.
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> PebbleClient.serial(NAME, tlsPort, root).toString(16).equals(first));
            PebbleClient.Answer anonymous = PebbleClient.request(NAME, tlsPort, root, "GET", "/api/v1/tls");
            assertThat(anonymous.text()).startsWith("HTTP/1.1 401");
            PebbleClient.Answer listed = PebbleClient.request(NAME, tlsPort, root, "GET", "/api/v1/tls",
                    "Authorization: Bearer reader");
            assertThat(listed.text()).startsWith("HTTP/1.1 200");
            assertThat(listed.serial().toString(16)).isEqualTo(first);
            JsonNode names = body(listed).get("certificates");
            assertThat(names).hasSize(1);
            assertThat(names.get(0).get("service").asText()).isEqualTo(DaemonControlPlane.ADMIN);
            assertThat(names.get(0).get("name").asText()).isEqualTo(NAME);
            assertThat(names.get(0).get("serial").asText()).isEqualTo(first);
            assertThat(names.get(0).get("last_error").isNull()).isTrue();

            PebbleClient.Answer refused = PebbleClient.request(NAME, tlsPort, root, "POST",
                    "/api/v1/tls/" + NAME + "/renew", "Authorization: Bearer reader");
            assertThat(refused.text()).startsWith("HTTP/1.1 403");
            PebbleClient.Answer renew = PebbleClient.request(NAME, tlsPort, root, "POST",
                    "/api/v1/tls/" + NAME + "/renew", "Authorization: Bearer writer");
            assertThat(renew.text()).startsWith("HTTP/1.1 202");
            assertThat(body(renew).get("renewing").get(0).get("service").asText()).isEqualTo(DaemonControlPlane.ADMIN);

            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                NameStatus st = acme.status(NAME).orElseThrow();
                return !st.renewing() && st.serial().map(s -> !s.toString(16).equals(first)).orElse(false);
            });
            assertThat(acme.status(NAME).orElseThrow().lastError()).isEmpty();
            String second = acme.status(NAME).orElseThrow().serial().orElseThrow().toString(16);
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> PebbleClient.serial(NAME, tlsPort, root).toString(16).equals(second));
        }, "serve", "-c", file.toString());
    }

    @Test
    void aReloadKeepsTheManagerWhileTheAcmeMappingStaysAndStopsItWhenItGoes() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        String config = """
                workers: 1
                state_dir: state
                admin:
                  listen: 127.0.0.1:%d
                  tokens: [%%s]
                  tls:
                    acme: {directory: "%s", ca_roots: %s, names: [%s]}
                services:
                  site: {type: web, listen: 127.0.0.1:0, root: www}
                """.formatted(tlsPort, pebble.directory(), pebble.caRootsFile(), NAME);
        Path file = Files.writeString(dir.resolve("portico.yaml"), config.formatted("{token: first}"));
        X509Certificate root = pebble.issuingRoot();
        CliRun.runChecked(d -> {
            CertificateManager acme = d.adminCertificates();
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                    .until(() -> acme.status(NAME).orElseThrow().serial().isPresent());
            String serial = acme.status(NAME).orElseThrow().serial().orElseThrow().toString(16);

            // Another token: the endpoint restarts with the same manager and serves the stored certificate.
            Files.writeString(file, config.formatted("{token: second}"));
            assertThat(d.reload()).isTrue();
            assertThat(d.adminCertificates()).isSameAs(acme);
            PebbleClient.Answer again = PebbleClient.request(NAME, tlsPort, root, "GET", "/api/v1/tls",
                    "Authorization: Bearer second");
            assertThat(again.text()).startsWith("HTTP/1.1 200");
            assertThat(again.serial().toString(16)).isEqualTo(serial);

            // Without tls the endpoint is plain HTTP and the manager is gone.
            Files.writeString(file, """
                    workers: 1
                    state_dir: state
                    admin: {listen: "127.0.0.1:%d", token: second}
                    services:
                      site: {type: web, listen: 127.0.0.1:0, root: www}
                    """.formatted(tlsPort));
            assertThat(d.reload()).isTrue();
            assertThat(d.adminCertificates()).isNull();
            assertThat(d.admin().baseUrl()).isEqualTo("http://127.0.0.1:" + tlsPort);
        }, "serve", "-c", file.toString());
    }

    private static JsonNode body(PebbleClient.Answer a) throws Exception {
        String text = a.text();
        return JSON.readTree(text.substring(text.indexOf("\r\n\r\n") + 4));
    }
}
