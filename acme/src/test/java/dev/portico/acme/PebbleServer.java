package dev.portico.acme;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/**
 * Debian's {@code pebble} ACME test server, validating for real, with {@code pebble-challtestsrv}
 * as its DNS server (every name is 127.0.0.1, no AAAA records, its own challenge servers off).
 * Pebble's HTTPS key and certificate are made here (Debian ships none), signed by a CA whose PEM
 * file {@link #caRootsFile()} is what an ACME client trusts for the directory. Pebble validates
 * HTTP-01 on 127.0.0.1:{@code httpPort} and TLS-ALPN-01 on 127.0.0.1:{@code tlsPort}, the
 * listeners of the code under test. Authorizations are never reused, so every order validates.
 * Close it to stop both processes.
 */
public final class PebbleServer implements AutoCloseable {

    private static final Path PEBBLE = Path.of("/usr/bin/pebble");
    private static final Path CHALLTESTSRV = Path.of("/usr/bin/pebble-challtestsrv");

    private final Path dir;
    private final List<Process> processes = new ArrayList<>();
    private int acmePort;
    private int managementPort;
    private SSLContext trust;

    private PebbleServer(Path dir) {
        this.dir = dir;
    }

    /** True when both binaries are installed (bin/lib/test-deps.sh installs Debian's {@code pebble}). */
    public static boolean installed() {
        return Files.isExecutable(PEBBLE) && Files.isExecutable(CHALLTESTSRV);
    }

    /**
     * Starts pebble-challtestsrv and pebble and waits until the ACME directory answers.
     *
     * @param dir      where the certificates, config and logs go
     * @param httpPort where pebble sends HTTP-01 validations
     * @param tlsPort  where pebble sends TLS-ALPN-01 validations
     */
    public static PebbleServer start(Path dir, int httpPort, int tlsPort) throws Exception {
        PebbleServer p = new PebbleServer(dir);
        try {
            p.launch(httpPort, tlsPort);
            return p;
        } catch (Exception | AssertionError e) {
            String out = p.output();
            p.close();
            throw new AssertionError("pebble did not start: " + e.getMessage() + "\n" + out, e);
        }
    }

    private void launch(int httpPort, int tlsPort) throws Exception {
        TestCertificates.Pair ca = TestCertificates.ca("Portico test CA for pebble", Duration.ofDays(30));
        TestCertificates.Pair server = TestCertificates.server(ca, Instant.now().minus(Duration.ofHours(1)),
                Instant.now().plus(Duration.ofDays(30)), "localhost", "127.0.0.1");
        Files.writeString(dir.resolve("pebble-ca.pem"), Pem.certificates(List.of(ca.certificate())), StandardCharsets.US_ASCII);
        Files.writeString(dir.resolve("pebble-cert.pem"), Pem.certificates(List.of(server.certificate(), ca.certificate())),
                StandardCharsets.US_ASCII);
        Files.writeString(dir.resolve("pebble-key.pem"), Pem.privateKey(server.key().getPrivate()), StandardCharsets.US_ASCII);
        trust = sslContext(ca.certificate());

        int dnsPort = freePort();
        int dnsManagement = freePort();
        processes.add(new ProcessBuilder(CHALLTESTSRV.toString(), "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
                "-dns01", "127.0.0.1:" + dnsPort, "-http01", "", "-https01", "", "-tlsalpn01", "",
                "-management", "127.0.0.1:" + dnsManagement)
                .redirectErrorStream(true).redirectOutput(dir.resolve("challtestsrv.log").toFile()).start());
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                .until(() -> alive() && connects(dnsPort) && connects(dnsManagement));

        acmePort = freePort();
        managementPort = freePort();
        String config = """
                {
                  "pebble": {
                    "listenAddress": "127.0.0.1:%d",
                    "managementListenAddress": "127.0.0.1:%d",
                    "certificate": "%s",
                    "privateKey": "%s",
                    "httpPort": %d,
                    "tlsPort": %d,
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": false,
                    "retryAfter": {"authz": 1, "order": 1}
                  }
                }
                """.formatted(acmePort, managementPort, dir.resolve("pebble-cert.pem"), dir.resolve("pebble-key.pem"),
                httpPort, tlsPort);
        Path configFile = dir.resolve("pebble-config.json");
        Files.writeString(configFile, config, StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder(PEBBLE.toString(), "-config", configFile.toString(),
                "-dnsserver", "127.0.0.1:" + dnsPort)
                .redirectErrorStream(true).redirectOutput(dir.resolve("pebble.log").toFile());
        Map<String, String> env = pb.environment();
        env.put("PEBBLE_VA_NOSLEEP", "1");
        env.put("PEBBLE_WFE_NONCEREJECT", "0");
        env.put("PEBBLE_AUTHZREUSE", "0");
        env.remove("PEBBLE_VA_ALWAYS_VALID");
        processes.add(pb.start());
        HttpClient client = client();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> alive() && client.send(HttpRequest.newBuilder(directory()).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    }

    private boolean alive() {
        for (Process p : processes) {
            if (!p.isAlive()) {
                throw new IllegalStateException("a process exited with " + p.exitValue());
            }
        }
        return true;
    }

    private static boolean connects(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        }
    }

    private static SSLContext sslContext(X509Certificate root) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("root", root);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** A port free on 127.0.0.1 right now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The ACME directory URL. */
    public URI directory() {
        return URI.create("https://127.0.0.1:" + acmePort + "/dir");
    }

    /** The PEM file of the CA that signed pebble's HTTPS certificate: {@code ca_roots} for a client. */
    public Path caRootsFile() {
        return dir.resolve("pebble-ca.pem");
    }

    /** An HTTP client trusting pebble's HTTPS certificate. */
    public HttpClient client() {
        return HttpClient.newBuilder().sslContext(trust).connectTimeout(Duration.ofSeconds(5)).build();
    }

    /**
     * The root that issues the certificates pebble signs (it makes a new one at each start), from
     * its management interface.
     */
    public X509Certificate issuingRoot() throws Exception {
        HttpResponse<String> r = client().send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + managementPort + "/roots/0"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("/roots/0 answered " + r.statusCode());
        }
        return Pem.readCertificates(r.body()).getFirst();
    }

    /** What both processes printed, for failure messages. */
    public String output() {
        StringBuilder sb = new StringBuilder();
        for (String f : List.of("challtestsrv.log", "pebble.log")) {
            Path p = dir.resolve(f);
            try {
                if (Files.exists(p)) {
                    sb.append("--- ").append(f).append('\n').append(Files.readString(p, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                sb.append(f).append(": ").append(e.getMessage()).append('\n');
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        for (Process p : processes.reversed()) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }
}
