package dev.portico.web.tls;

import dev.portico.core.net.HostPort;
import dev.portico.core.tls.TlsSettings;
import dev.portico.core.transport.ListenSpec;
import dev.portico.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** HTTP/2 chosen through ALPN on a TLS listener, with real clients (JDK HttpClient, curl, h2load). */
@Timeout(120)
class TlsHttp2Test {

    @TempDir
    Path dir;

    private static HttpClient h2(TestPki pki) {
        return HttpClient.newBuilder().sslContext(pki.clientContext()).connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_2).build();
    }

    @Test
    void alpnChoosesH2AndFilesStreamWithHsts() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            byte[] data = new byte[3 * 1024 * 1024 + 77];
            new Random(11).nextBytes(data);
            Files.write(dir.resolve("site/big.bin"), data);
            TestPki.Issued cert = h.pki.server("site", "localhost", "127.0.0.1");
            h.start(h.web(TlsSettings.builder().certificate(cert.cert(), cert.key()).hsts(Duration.ofDays(1)).build()).build());

            HttpResponse<byte[]> r = h2(h.pki).send(HttpRequest.newBuilder(
                            URI.create("https://127.0.0.1:" + h.port() + "/big.bin")).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(MessageDigest.getInstance("SHA-256").digest(r.body()))
                    .isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
            assertThat(r.headers().firstValue("strict-transport-security")).hasValue("max-age=86400");

            List<String> out = curl("--http2", "--cacert", h.pki.caFile().toString(), "-sS", "-o", "/dev/null",
                    "-w", "%{http_version} %{http_code}", "--max-time", "30",
                    "https://localhost:" + h.port() + "/index.html");
            assertThat(out.getLast()).isEqualTo("2 200");
        }
    }

    @Test
    void manyConcurrentStreamsOverTls() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            h.start(h.web(TlsSettings.builder().certificate(cert.cert(), cert.key()).build()).build());
            List<String> out = run(List.of("h2load", "-n", "2000", "-c", "4", "-m", "32",
                    "https://127.0.0.1:" + h.port() + "/index.html"));
            String all = String.join("\n", out);
            assertThat(all).contains("Application protocol: h2").contains("2000 succeeded");
        }
    }

    @Test
    void aListenerWithHttp2OffKeepsHttp11() throws Exception {
        try (TlsHarness h = new TlsHarness(dir)) {
            TestPki.Issued cert = h.pki.server("site", "127.0.0.1");
            h.start(dev.portico.web.WebConfig.builder().root(dir.resolve("site"))
                    .listen(new ListenSpec(new HostPort("127.0.0.1", 0), true, ListenSpec.Http2.OFF))
                    .tls(TlsSettings.builder().certificate(cert.cert(), cert.key()).build()).build());
            HttpResponse<String> r = h2(h.pki).send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + h.port() + "/index.html")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        }
    }

    private static List<String> curl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl"));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    private static List<String> run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish: " + cmd);
        }
        assertThat(p.exitValue()).as("%s exit, output:%n%s", cmd, out).isZero();
        return out.lines().toList();
    }
}
