package dev.portico.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portico.acme.PebbleClient;
import dev.portico.acme.PebbleServer;
import dev.portico.server.CliRun;
import dev.portico.web.WebServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code GET /api/v1/tls} and {@code POST /api/v1/tls/NAME/renew} against {@code portico serve}
 * with a web service whose certificate comes from pebble (TLS-ALPN-01, validated for real): the
 * listing shows the issued certificate, a renewal needs the write token, an unknown name is 404,
 * and after the renewal new handshakes see the new serial.
 */
@Timeout(240)
class TlsApiTest {

    private static final String NAME = "api.portico.test";
    private static final Duration WAIT = Duration.ofSeconds(120);

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
    void listsTheManagedNameAndRenewsItWithAWriteToken() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        Files.createDirectories(dir.resolve("state"));
        Path file = Files.writeString(dir.resolve("portico.yaml"), """
                workers: 1
                state_dir: state
                admin:
                  listen: 127.0.0.1:0
                  tokens:
                    - {token: writer, role: write}
                    - {token: reader, role: read}
                services:
                  site:
                    type: web
                    listen: 127.0.0.1:%d
                    root: www
                    tls:
                      acme:
                        directory: %s
                        ca_roots: %s
                        names: [%s]
                        challenges: [tls-alpn-01]
                """.formatted(tlsPort, pebble.directory(), pebble.caRootsFile(), NAME));
        X509Certificate root = pebble.issuingRoot();
        CliRun.runChecked(d -> {
            WebServer web = (WebServer) d.supervisor().running().getFirst().service();
            Api writer = new Api(d.admin().baseUrl(), "writer");
            Api reader = new Api(d.admin().baseUrl(), "reader");

            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                JsonNode c = reader.get("/api/v1/tls").json().get("certificates").get(0);
                return !c.get("serial").isNull() || !c.get("last_error").isNull();
            });
            JsonNode issued = reader.get("/api/v1/tls").json().get("certificates").get(0);
            assertThat(issued.get("last_error").isNull()).as(issued.toString()).isTrue();
            assertThat(issued.get("service").asText()).isEqualTo("site");
            assertThat(issued.get("name").asText()).isEqualTo(NAME);
            assertThat(issued.get("not_after").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
            assertThat(issued.get("next_attempt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
            String first = issued.get("serial").asText();
            assertThat(first).isEqualTo(web.certificateManager().current(NAME).orElseThrow().serial().toString(16));
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> PebbleClient.serial(NAME, tlsPort, root).toString(16).equals(first));

            assertThat(reader.post("/api/v1/tls/" + NAME + "/renew", null).status()).isEqualTo(403);
            Api.Answer unknown = writer.post("/api/v1/tls/other.portico.test/renew", null);
            assertThat(unknown.status()).isEqualTo(404);
            assertThat(unknown.json().get("error").asText()).isEqualTo("no service manages a certificate for other.portico.test");
            Api.Answer renew = writer.post("/api/v1/tls/" + NAME + "/renew", null);
            assertThat(renew.status()).as(renew.json().toString()).isEqualTo(202);
            assertThat(renew.json().get("renewing").get(0).get("name").asText()).isEqualTo(NAME);

            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                JsonNode c = reader.get("/api/v1/tls").json().get("certificates").get(0);
                return !c.get("renewing").asBoolean() && !c.get("serial").asText().equals(first);
            });
            String second = reader.get("/api/v1/tls").json().get("certificates").get(0).get("serial").asText();
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> PebbleClient.serial(NAME, tlsPort, root).toString(16).equals(second));
        }, "serve", "-c", file.toString());
    }
}
