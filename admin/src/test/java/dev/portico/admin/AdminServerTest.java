package dev.portico.admin;

import dev.portico.testing.LogCapture;
import ch.qos.logback.classic.Level;
import dev.portico.core.metrics.Metrics;
import dev.portico.core.net.HostPort;
import dev.portico.testing.PorticoExtension;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class AdminServerTest {

    private static final HostPort ANY_PORT = new HostPort("127.0.0.1", 0);

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private AdminServer admin;

    @AfterEach
    void closeAdmin() {
        if (admin != null) {
            admin.close();
        }
        http.close();
    }

    private AdminServer start(AdminServer.Builder b) throws Exception {
        admin = b.listen(ANY_PORT).build().start(portico.context().transport(), portico.context().workers());
        return admin;
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(admin.baseUrl() + path)).timeout(Duration.ofSeconds(5));
        if (headers.length > 0) {
            r.headers(headers);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void closeAlsoClosesOpenKeepAliveConnections() throws Exception {
        start(AdminServer.builder(portico.metrics()));
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", admin.localAddress().getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] buf = new byte[4096];
            int n = s.getInputStream().read(buf);
            assertThat(new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
            admin.close();
            admin = null;
            int rest;
            do {
                rest = s.getInputStream().read(buf);
            } while (rest > 0);
            assertThat(rest).isEqualTo(-1);
        }
    }

    @Test
    void servesPrometheusMetrics() throws Exception {
        Metrics metrics = portico.metrics();
        metrics.registry().counter("portico_test_requests", "service", "site").increment(3);
        start(AdminServer.builder(metrics));

        HttpResponse<String> r = get("/metrics");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue(metrics.contentType());
        assertThat(r.body()).contains("portico_test_requests_total{service=\"site\"} 3.0")
                .contains("jvm_memory_used_bytes");
    }

    @Test
    void healthzFollowsTheHealthSupplier() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(true);
        start(AdminServer.builder(portico.metrics()).health(healthy::get));

        HttpResponse<String> ok = get("/healthz");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("{\"status\":\"ok\"}");
        assertThat(ok.headers().firstValue("content-type")).hasValue("application/json");

        healthy.set(false);
        HttpResponse<String> stopping = get("/healthz");
        assertThat(stopping.statusCode()).isEqualTo(503);
        assertThat(stopping.body()).contains("stopping");
    }

    @Test
    void unknownPathsGetJson404() throws Exception {
        start(AdminServer.builder(portico.metrics()));

        HttpResponse<String> r = get("/nope?x=1");

        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(r.body()).isEqualTo("{\"error\":\"no admin route for /nope\",\"status\":404}");
    }

    @Test
    void tokenIsRequiredWhenSet() throws Exception {
        start(AdminServer.builder(portico.metrics()).token("s3cret"));

        HttpResponse<String> none = get("/metrics");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("www-authenticate")).hasValue("Bearer realm=\"portico\"");
        assertThat(none.body()).contains("\"status\":401");

        assertThat(get("/metrics", "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
        assertThat(get("/metrics", "Authorization", "Basic czNjcmV0").statusCode()).isEqualTo(401);
        assertThat(get("/nope").statusCode()).isEqualTo(401);

        HttpResponse<String> ok = get("/healthz", "Authorization", "Bearer s3cret");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(get("/metrics", "authorization", "bearer s3cret").statusCode()).isEqualTo(200);
    }

    @Test
    void healthzNeedsNoTokenButEverythingElseDoes() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(true);
        start(AdminServer.builder(portico.metrics()).token("s3cret").health(healthy::get)
                .routes(r -> r.get("/api/v1/services", q -> AdminResponse.json(HttpResponseStatus.OK, "[]"))));

        // a load balancer's probe: no Authorization, the same minimal body as with a token
        HttpResponse<String> probe = get("/healthz");
        assertThat(probe.statusCode()).isEqualTo(200);
        assertThat(probe.body()).isEqualTo("{\"status\":\"ok\"}");
        assertThat(probe.headers().firstValue("content-type")).hasValue("application/json");
        healthy.set(false);
        assertThat(get("/healthz").statusCode()).isEqualTo(503);

        assertThat(get("/metrics").statusCode()).isEqualTo(401);
        assertThat(get("/api/v1/services").statusCode()).isEqualTo(401);
        assertThat(get("/metrics", "Authorization", "Bearer s3cret").statusCode()).isEqualTo(200);
        assertThat(get("/api/v1/services", "Authorization", "Bearer s3cret").statusCode()).isEqualTo(200);
        // only reading it is public
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(admin.baseUrl() + "/healthz"))
                .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(401);
    }

    @Test
    void extraRoutesRunOnTheExecutorAndWrongMethodsGet405() throws Exception {
        AtomicReference<String> thread = new AtomicReference<>();
        var pool = java.util.concurrent.Executors.newSingleThreadExecutor(r -> new Thread(r, "admin-test-pool"));
        try {
            start(AdminServer.builder(portico.metrics())
                    .executor(pool)
                    .route(HttpMethod.POST, "/echo", req -> {
                        thread.set(Thread.currentThread().getName());
                        return AdminResponse.json(HttpResponseStatus.CREATED,
                                "{\"got\":" + Json.quote(req.bodyText()) + ",\"n\":" + Json.quote(req.param("n", "-")) + "}");
                    }));

            HttpResponse<String> posted = http.send(HttpRequest.newBuilder(URI.create(admin.baseUrl() + "/echo?n=7"))
                    .POST(HttpRequest.BodyPublishers.ofString("he said \"hi\"")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(posted.statusCode()).isEqualTo(201);
            assertThat(posted.body()).isEqualTo("{\"got\":\"he said \\\"hi\\\"\",\"n\":\"7\"}");
            assertThat(thread.get()).isEqualTo("admin-test-pool");

            HttpResponse<String> wrong = get("/echo");
            assertThat(wrong.statusCode()).isEqualTo(405);
            assertThat(wrong.headers().firstValue("allow")).hasValue("POST");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void failingHandlersGet500WithTheMessage() throws Exception {
        start(AdminServer.builder(portico.metrics()).route(HttpMethod.GET, "/boom", req -> {
            throw new IllegalStateException("kaput");
        }));

        try (LogCapture log = new LogCapture(AdminChannelHandler.class)) {
            HttpResponse<String> r = get("/boom");

            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body()).isEqualTo("{\"error\":\"kaput\",\"status\":500}");
            assertThat(get("/healthz").statusCode()).isEqualTo(200);
            assertThat(log.events(Level.WARN)).singleElement().satisfies(e -> {
                assertThat(e.getFormattedMessage()).isEqualTo("admin GET /boom failed");
                assertThat(e.getThrowableProxy().getMessage()).isEqualTo("kaput");
            });
        }
    }

    @Test
    void headAnswersWithoutBody() throws Exception {
        start(AdminServer.builder(portico.metrics()));

        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(admin.baseUrl() + "/healthz"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
        assertThat(r.headers().firstValue("content-length")).hasValue("15");
    }

    @Test
    void manyRequestsOnOneKeptAliveConnection() throws Exception {
        start(AdminServer.builder(portico.metrics()));
        for (int i = 0; i < 20; i++) {
            assertThat(get("/healthz").statusCode()).isEqualTo(200);
        }
        assertThat(admin.baseUrl()).startsWith("http://127.0.0.1:");
        assertThat(admin.localAddress().getPort()).isPositive();
    }

    @Test
    void duplicateRoutesAreRefused() {
        var routes = new AdminRoutes().get("/a", r -> AdminResponse.text("text/plain", "a"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> routes.get("/a", r -> AdminResponse.text("text/plain", "b")))
                .hasMessageContaining("already taken");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> routes.get("a", r -> AdminResponse.text("text/plain", "b")))
                .hasMessageContaining("must start with '/'");
    }
}
