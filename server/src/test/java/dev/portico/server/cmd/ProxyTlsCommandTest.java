package dev.portico.server.cmd;

import dev.portico.proxy.ProxyService;
import dev.portico.server.Cli;
import dev.portico.server.CliRun;
import dev.portico.server.Daemon;
import dev.portico.server.Main;
import dev.portico.server.control.NamedBackend;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code portico proxy --tls self-signed} and {@code --tls-cert/--tls-key}, checked with curl and HttpClient. */
@Timeout(90)
class ProxyTlsCommandTest {

    @TempDir
    Path dir;

    private static String curl(String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder();
        pb.command().addAll(List.of("curl", "-sS", "--max-time", "10"));
        pb.command().addAll(List.of(args));
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
    void selfSignedQuickStartProxiesHttpsThatCurlVerifies() throws Exception {
        Path state = dir.resolve("state");
        Path ca = state.resolve("tls/self-signed/ca.pem");
        AtomicReference<String> curled = new AtomicReference<>();
        try (NamedBackend backend = new NamedBackend("behind")) {
            CliRun r = CliRun.run(Main.builtinTypes(), (Daemon d) -> {
                try {
                    ProxyService proxy = (ProxyService) d.supervisor().running().getFirst().service();
                    curled.set(curl("--cacert", ca.toString(), "https://127.0.0.1:" + proxy.port() + "/"));
                } catch (Exception e) {
                    throw new AssertionError(e);
                } finally {
                    d.requestStop();
                }
            }, "proxy", "--listen", "127.0.0.1:0", "--backend", backend.address(), "--tls", "self-signed",
                    "--state-dir", state.toString(), "--workers", "1", "--admin", "off");
            assertThat(r.status).as(r.toString()).isZero();
            assertThat(curled.get()).isEqualTo("0 behind");
            assertThat(r.out).contains("  service proxy: https://127.0.0.1:", "TLS engine ",
                    "its development CA is " + ca, "  try: curl --cacert " + ca + " https://127.0.0.1:");
        }
    }

    @Test
    void certificateFilesFromFlagsAndH2() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"), "Flags CA");
        TestPki.Issued cert = pki.server("site", "127.0.0.1");
        AtomicReference<HttpResponse<String>> got = new AtomicReference<>();
        try (NamedBackend backend = new NamedBackend("files")) {
            CliRun r = CliRun.run(Main.builtinTypes(), (Daemon d) -> {
                try (HttpClient http = HttpClient.newBuilder().sslContext(pki.clientContext())
                        .version(HttpClient.Version.HTTP_2).build()) {
                    ProxyService proxy = (ProxyService) d.supervisor().running().getFirst().service();
                    got.set(http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + proxy.port() + "/"))
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()));
                } catch (Exception e) {
                    throw new AssertionError(e);
                } finally {
                    d.requestStop();
                }
            }, "proxy", "--listen", "127.0.0.1:0", "--backend", backend.address(), "--tls-cert", cert.cert().toString(),
                    "--tls-key", cert.key().toString(), "--workers", "1", "--admin", "off");
            assertThat(r.status).as(r.toString()).isZero();
            assertThat(got.get().body()).isEqualTo("files");
            assertThat(got.get().version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(r.out).doesNotContain("development CA");
        }
    }

    @Test
    void flagsThatDoNotGoTogether() {
        CliRun half = CliRun.run(Main.builtinTypes(), "proxy", "--backend", "127.0.0.1:9", "--tls-key", "x.key",
                "--admin", "off");
        assertThat(half.status).isEqualTo(Cli.USAGE);
        assertThat(half.err).contains("--tls-cert and --tls-key go together");
        CliRun bad = CliRun.run(Main.builtinTypes(), "proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9",
                "--tls-cert", dir.resolve("none.pem").toString(), "--tls-key", dir.resolve("none.key").toString(),
                "--admin", "off");
        assertThat(bad.status).isEqualTo(Cli.USAGE);
        assertThat(bad.err).contains("--tls-cert: certificate file " + dir.resolve("none.pem") + " cannot be read");
    }
}
