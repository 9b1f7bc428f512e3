package dev.portico.server.cmd;

import dev.portico.server.Cli;
import dev.portico.server.CliRun;
import dev.portico.server.Daemon;
import dev.portico.server.TestTypes;
import dev.portico.testing.RunningService;
import dev.portico.testing.TempSite;
import dev.portico.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code portico web --tls self-signed} and {@code --tls-cert/--tls-key}, checked with curl and HttpClient. */
@Timeout(90)
class WebTlsCommandTest {

    @TempDir
    Path dir;

    private static String curl(String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder();
        pb.command().addAll(java.util.List.of("curl", "-sS", "--max-time", "10"));
        pb.command().addAll(java.util.List.of(args));
        Process p = pb.redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("curl did not finish");
        }
        return p.exitValue() + " " + out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void selfSignedQuickStartServesHttpsThatCurlVerifies() throws Exception {
        TempSite site = new TempSite(dir.resolve("site")).file("index.html", "<h1>secure</h1>");
        Path state = dir.resolve("state");
        AtomicReference<String> curled = new AtomicReference<>();
        CliRun r = CliRun.run(TestTypes.all(), (Daemon d) -> {
            try {
                int port = RunningService.addressOf(d.supervisor().running().getFirst().service()).getPort();
                curled.set(curl("--cacert", state.resolve("tls/self-signed/ca.pem").toString(),
                        "https://127.0.0.1:" + port + "/"));
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                d.requestStop();
            }
        }, "web", site.root().toString(), "--listen", "127.0.0.1:0", "--tls", "self-signed", "--state-dir",
                state.toString(), "--workers", "1", "--admin", "off");
        assertThat(r.status).as(r.toString()).isZero();
        assertThat(curled.get()).isEqualTo("0 <h1>secure</h1>");
        Path ca = state.resolve("tls/self-signed/ca.pem");
        assertThat(r.out).contains("  service web: https://127.0.0.1:", "TLS engine boringssl",
                "its development CA is " + ca, "  try: curl --cacert " + ca + " https://127.0.0.1:");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("tls/self-signed/key.pem"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("tls/self-signed/ca.key"))))
                .isEqualTo("rw-------");

        // a second start reuses the CA and the certificate
        String caBefore = Files.readString(ca);
        String certBefore = Files.readString(state.resolve("tls/self-signed/cert.pem"));
        CliRun again = CliRun.run(TestTypes.all(), Daemon::requestStop, "web", site.root().toString(), "--listen",
                "127.0.0.1:0", "--tls", "self-signed", "--state-dir", state.toString(), "--workers", "1", "--admin", "off");
        assertThat(again.status).as(again.toString()).isZero();
        assertThat(Files.readString(ca)).isEqualTo(caBefore);
        assertThat(Files.readString(state.resolve("tls/self-signed/cert.pem"))).isEqualTo(certBefore);

        // other listen names: the same CA issues a new certificate
        CliRun names = CliRun.run(TestTypes.all(), Daemon::requestStop, "web", site.root().toString(), "--listen",
                "127.0.0.2:0", "--tls", "self-signed", "--state-dir", state.toString(), "--workers", "1", "--admin", "off");
        assertThat(names.status).as(names.toString()).isZero();
        assertThat(Files.readString(ca)).isEqualTo(caBefore);
        assertThat(Files.readString(state.resolve("tls/self-signed/cert.pem"))).isNotEqualTo(certBefore);
    }

    @Test
    void certificateFilesFromFlags() throws Exception {
        TempSite site = new TempSite(dir.resolve("site")).file("index.html", "files");
        TestPki pki = new TestPki(dir.resolve("pki"), "Flags CA");
        TestPki.Issued cert = pki.server("site", "127.0.0.1");
        AtomicReference<HttpResponse<String>> got = new AtomicReference<>();
        CliRun r = CliRun.run(TestTypes.all(), (Daemon d) -> {
            try (HttpClient http = HttpClient.newBuilder().sslContext(pki.clientContext()).build()) {
                int port = RunningService.addressOf(d.supervisor().running().getFirst().service()).getPort();
                got.set(http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()));
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                d.requestStop();
            }
        }, "web", site.root().toString(), "--listen", "127.0.0.1:0", "--tls-cert", cert.cert().toString(),
                "--tls-key", cert.key().toString(), "--workers", "1", "--admin", "off");
        assertThat(r.status).as(r.toString()).isZero();
        assertThat(got.get().body()).isEqualTo("files");
    }

    @Test
    void flagsThatDoNotGoTogether() {
        CliRun half = CliRun.run(TestTypes.all(), "web", dir.toString(), "--tls-cert", "x.pem", "--admin", "off");
        assertThat(half.status).isEqualTo(Cli.USAGE);
        assertThat(half.err).contains("--tls-cert and --tls-key go together");
        CliRun mode = CliRun.run(TestTypes.all(), "web", dir.toString(), "--tls", "acme", "--admin", "off");
        assertThat(mode.status).isEqualTo(Cli.USAGE);
        assertThat(mode.err).contains("--tls: 'acme' is not a mode");
        CliRun bad = CliRun.run(TestTypes.all(), "web", dir.toString(), "--listen", "127.0.0.1:0", "--tls-cert",
                dir.resolve("none.pem").toString(), "--tls-key", dir.resolve("none.key").toString(), "--admin", "off");
        assertThat(bad.status).isEqualTo(Cli.USAGE);
        assertThat(bad.err).contains("--tls-cert: certificate file " + dir.resolve("none.pem") + " cannot be read");
    }
}
