package dev.portico.web.tls;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.limits.DescriptorBudget;
import dev.portico.core.limits.FileLimit;
import dev.portico.core.net.HostPort;
import dev.portico.core.tls.TlsSettings;
import dev.portico.core.transport.ListenSpec;
import dev.portico.core.transport.Transport;
import dev.portico.testing.TestPki;
import dev.portico.web.WebConfig;
import dev.portico.web.WebServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;

import javax.net.ssl.SSLContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** A web server with a TLS listener on 127.0.0.1 port 0, a test CA, and TLS clients. */
final class TlsHarness implements AutoCloseable {

    final Transport transport = Transport.select(null);
    final EventLoopGroup group = transport.newGroup(2, "test-tls");
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
    final Path dir;
    final TestPki pki;
    final ServiceContext context;
    WebServer server;

    TlsHarness(Path dir) throws IOException {
        this.dir = dir;
        this.pki = new TestPki(dir.resolve("pki"), "Test CA");
        Files.createDirectories(dir.resolve("site"));
        Files.writeString(dir.resolve("site/index.html"), "hello over tls\n");
        this.context = new ServiceContext(transport, group, meters, Clock.systemUTC(), blocking,
                DescriptorBudget.of(FileLimit.read(), DescriptorBudget.DEFAULT_ADMIN_CONNECTIONS, 1), dir.resolve("state"));
    }

    /** A web config serving {@code site/} on one TLS listener. */
    WebConfig.Builder web(TlsSettings tls) {
        return WebConfig.builder().root(dir.resolve("site"))
                .listen(ListenSpec.tls(new HostPort("127.0.0.1", 0))).tls(tls);
    }

    TlsHarness start(WebConfig config) throws Exception {
        server = new WebServer("tls-test", config, context);
        server.start();
        return this;
    }

    int port() {
        return server.port();
    }

    HttpClient client() {
        return client(pki.clientContext());
    }

    static HttpClient client(SSLContext ssl) {
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client().send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** What {@code openssl s_client} printed, with its exit status. */
    record SClient(int exit, String out) {
        /** The certificate the server presented. */
        X509Certificate serverCertificate() throws Exception {
            int a = out.indexOf("-----BEGIN CERTIFICATE-----");
            int b = out.indexOf("-----END CERTIFICATE-----", a);
            if (a < 0 || b < 0) {
                throw new AssertionError("no server certificate in s_client output:\n" + out);
            }
            String pem = out.substring(a, b + "-----END CERTIFICATE-----".length());
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        }

        BigInteger serial() throws Exception {
            return serverCertificate().getSerialNumber();
        }
    }

    /**
     * Runs {@code openssl s_client} against the server with {@code args}, sending an HTTP/1.0
     * request and waiting for the server to close.
     */
    SClient sClient(String... args) throws Exception {
        return sClient(port(), args);
    }

    static SClient sClient(int port, String... args) throws Exception {
        return sClient("127.0.0.1", port, args);
    }

    static SClient sClient(String host, int port, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", host + ":" + port, "-ign_eof"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().write("GET / HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                p.getInputStream().transferTo(out);
            } catch (IOException ignored) {
                // the process ended
            }
        });
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl s_client did not finish: " + out.toString(StandardCharsets.UTF_8));
        }
        reader.join(5000);
        return new SClient(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    @Override
    public void close() throws InterruptedException {
        if (server != null) {
            server.stop(Duration.ofMillis(200));
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        blocking.shutdownNow();
    }
}
