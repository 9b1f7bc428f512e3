package dev.portico.server.control;

import dev.portico.server.CliRun;
import dev.portico.server.Daemon;
import dev.portico.server.Main;
import dev.portico.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The admin endpoint over HTTPS ({@code admin.tls}), with its bearer token. */
@Timeout(60)
class AdminTlsTest {

    @TempDir
    Path dir;

    @Test
    void theApiAnswersOverTlsWithTheTokenAndOnlyWithIt() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"), "Admin CA");
        TestPki.Issued cert = pki.server("admin", "127.0.0.1");
        Files.createDirectories(dir.resolve("www"));
        Path config = dir.resolve("portico.yaml");
        Files.writeString(config, """
                state_dir: state
                workers: 1
                admin:
                  listen: 127.0.0.1:0
                  token: s3cret-admin-token
                  tls:
                    certificates: [{cert: %s, key: %s}]
                services:
                  site: {type: web, listen: 127.0.0.1:0, root: www}
                """.formatted(cert.cert(), cert.key()));
        List<Object> seen = new ArrayList<>();
        CliRun r = CliRun.run(Main.builtinTypes(), (Daemon d) -> {
            try (HttpClient http = HttpClient.newBuilder().sslContext(pki.clientContext())
                    .connectTimeout(Duration.ofSeconds(5)).build()) {
                String base = d.admin().baseUrl();
                seen.add(base);
                URI services = URI.create(base + "/api/v1/services");
                HttpResponse<String> ok = http.send(HttpRequest.newBuilder(services).timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer s3cret-admin-token").build(), HttpResponse.BodyHandlers.ofString());
                seen.add(ok.statusCode());
                seen.add(ok.body());
                HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(services)
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                seen.add(anonymous.statusCode());
                seen.add(plainRequest(d.admin().localAddress()));
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                d.requestStop();
            }
        }, "serve", "-c", config.toString());
        assertThat(r.status).as(r.toString()).isZero();
        assertThat((String) seen.get(0)).startsWith("https://127.0.0.1:");
        assertThat(seen.get(1)).isEqualTo(200);
        assertThat((String) seen.get(2)).contains("\"site\"");
        assertThat(seen.get(3)).isEqualTo(401);
        assertThat((String) seen.get(4)).as("plain HTTP to the TLS port").startsWith("HTTP/1.1 400");
        assertThat(r.out).contains("admin: https://127.0.0.1:");
    }

    /** What the admin port answers to a plain HTTP request. */
    private static String plainRequest(InetSocketAddress admin) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", admin.getPort()), 5000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("GET /api/v1/services HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
