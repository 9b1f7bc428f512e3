package dev.portico.upstream.health;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.portico.core.net.HostPort;
import dev.portico.core.tls.ClientTls;
import dev.portico.core.tls.ClientTlsSettings;
import dev.portico.testing.BackendCerts;
import dev.portico.upstream.Backend;
import dev.portico.upstream.HealthState;
import dev.portico.upstream.Pool;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * HTTP checks over TLS against real JDK HTTPS servers, with both engines (BoringSSL and the JDK's):
 * a backend whose certificate fails verification is DOWN with the reason an operator looks for.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TlsHealthCheckTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final BackendCerts.Authority ca = BackendCerts.authority("backends CA");
    private final List<HttpsServer> servers = new ArrayList<>();
    private final Pool pool = Pool.create("tls");
    private EventLoopGroup group;
    private ProbeTransport transport;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        transport = ProbeTransport.of(group, NioSocketChannel.class);
    }

    @AfterEach
    void tearDown() {
        servers.forEach(s -> s.stop(0));
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private HttpsServer server(SSLContext context, boolean needClientAuth) throws IOException {
        HttpsServer s = HttpsServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
        s.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = context.getDefaultSSLParameters();
                p.setNeedClientAuth(needClientAuth);
                params.setSSLParameters(p);
            }
        });
        s.createContext("/health", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        s.start();
        servers.add(s);
        return s;
    }

    private ClientTlsSettings.Builder trustingOurCa() {
        return ClientTlsSettings.builder().ca(ca.writeCert(dir.resolve("ca.pem")));
    }

    /** The health of a backend of {@code server} with {@code tls}, once a check decided it. */
    private Backend check(HttpsServer server, ClientTls tls, HealthCheckType type) {
        Backend backend = Backend.builder(new HostPort(LOOPBACK.getHostAddress(), server.getAddress().getPort()))
                .name("b" + pool.members().size()).tls(tls).build();
        pool.add(backend);
        HealthCheckConfig config = HealthCheckConfig.builder(type).path("/health").interval(Duration.ofMillis(100))
                .timeout(Duration.ofSeconds(2)).downInterval(Duration.ofMillis(100)).rise(1).fall(1).build();
        try (HealthChecker checker = HealthChecker.create(pool, config, transport)) {
            checker.start();
            await().atMost(WAIT).until(() -> backend.health() != HealthState.UNKNOWN);
        }
        return backend;
    }

    @ParameterizedTest(name = "native engine {0}")
    @ValueSource(booleans = {true, false})
    void aVerifiedBackendIsUpThroughAnHttpCheck(boolean nativeEngine) throws Exception {
        ClientTls tls = ClientTls.create(trustingOurCa().build(), nativeEngine);
        assertThat(tls.engine()).isEqualTo(nativeEngine && OpenSsl.isAvailable() ? "BoringSSL" : "JDK");
        Backend b = check(server(ca.server("127.0.0.1").serverContext(null), false), tls, HealthCheckType.HTTP);
        assertThat(b.health()).isEqualTo(HealthState.UP);
        assertThat(b.healthReason()).isEqualTo("first check passed: http /health: status 200");
    }

    @Test
    void theNativeEngineLoadsHere() {
        // The build ships BoringSSL for linux-x86_64; the tests above then cover both engines.
        assertThat(OpenSsl.isAvailable()).as("BoringSSL loads: %s", OpenSsl.unavailabilityCause()).isTrue();
    }

    @ParameterizedTest(name = "native engine {0}")
    @ValueSource(booleans = {true, false})
    void aCertificateFromAnotherCaIsDownWithUnknownCa(boolean nativeEngine) throws Exception {
        HttpsServer s = server(BackendCerts.authority("other CA").server("127.0.0.1").serverContext(null), false);
        Backend b = check(s, ClientTls.create(trustingOurCa().build(), nativeEngine), HealthCheckType.HTTP);
        assertThat(b.health()).isEqualTo(HealthState.DOWN);
        assertThat(b.healthReason()).isEqualTo("check failed 1/1: https 127.0.0.1:" + s.getAddress().getPort()
                + ": TLS handshake failed: unknown CA");
    }

    @ParameterizedTest(name = "native engine {0}")
    @ValueSource(booleans = {true, false})
    void anExpiredCertificateIsDownWithCertificateHasExpired(boolean nativeEngine) throws Exception {
        HttpsServer s = server(ca.expiredServer("127.0.0.1").serverContext(null), false);
        Backend b = check(s, ClientTls.create(trustingOurCa().build(), nativeEngine), HealthCheckType.HTTP);
        assertThat(b.health()).isEqualTo(HealthState.DOWN);
        assertThat(b.healthReason()).endsWith(": TLS handshake failed: certificate has expired");
    }

    @ParameterizedTest(name = "native engine {0}")
    @ValueSource(booleans = {true, false})
    void aCertificateForAnotherNameIsDownWithNameMismatch(boolean nativeEngine) throws Exception {
        HttpsServer s = server(ca.server("api.internal").serverContext(null), false);
        Backend b = check(s, ClientTls.create(trustingOurCa().build(), nativeEngine), HealthCheckType.HTTP);
        assertThat(b.health()).isEqualTo(HealthState.DOWN);
        assertThat(b.healthReason()).endsWith(": TLS handshake failed: name mismatch");
        // With the name it does carry as the sni, the same backend is up.
        Backend named = check(s, ClientTls.create(trustingOurCa().sni("api.internal").build(), nativeEngine),
                HealthCheckType.HTTP);
        assertThat(named.health()).isEqualTo(HealthState.UP);
    }

    @ParameterizedTest(name = "native engine {0}")
    @ValueSource(booleans = {true, false})
    void aBackendAskingForAClientCertificateIsUpWithOneAndDownWithoutOne(boolean nativeEngine) throws Exception {
        HttpsServer s = server(ca.server("127.0.0.1").serverContext(ca.cert()), true);
        Backend without = check(s, ClientTls.create(trustingOurCa().build(), nativeEngine), HealthCheckType.HTTP);
        assertThat(without.health()).isEqualTo(HealthState.DOWN);
        assertThat(without.healthReason()).contains("the backend requires a client certificate");
        BackendCerts.Issued client = ca.client("portico");
        ClientTlsSettings mtls = trustingOurCa().clientCertificate(client.writeCert(dir.resolve("c.pem")),
                client.writeKey(dir.resolve("c.key"))).build();
        Backend with = check(s, ClientTls.create(mtls, nativeEngine), HealthCheckType.HTTP);
        assertThat(with.health()).isEqualTo(HealthState.UP);
    }

    @Test
    void anHttpsCheckOfAPlainBackendUsesTheJdksTrustStore() throws Exception {
        HttpsServer s = server(ca.server("127.0.0.1").serverContext(null), false);
        Backend b = check(s, null, HealthCheckType.HTTPS);
        assertThat(b.health()).isEqualTo(HealthState.DOWN);
        assertThat(b.healthReason()).endsWith(": TLS handshake failed: unknown CA");
    }

    @Test
    void anHttpCheckOfAPlainBackendStaysPlain() throws Exception {
        HttpsServer s = server(ca.server("127.0.0.1").serverContext(null), false);
        Backend b = check(s, null, HealthCheckType.HTTP);
        assertThat(b.health()).isEqualTo(HealthState.DOWN);
        assertThat(b.healthReason()).startsWith("check failed 1/1: http").doesNotContain("TLS");
    }
}
