package dev.portico.examples;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.transport.Transport;
import dev.portico.web.WebServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class RoutesExampleTest {

    @TempDir
    Path root;
    @TempDir
    Path uploads;

    final Transport transport = Transport.select(null);
    final EventLoopGroup group = transport.newGroup(1, "example-test");
    final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
    final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    WebServer server;

    @BeforeEach
    void start() throws Exception {
        Files.writeString(root.resolve("index.html"), "<h1>example</h1>");
        ServiceContext context = new ServiceContext(transport, group, new SimpleMeterRegistry(), Clock.systemUTC(), blocking);
        server = RoutesExample.start("127.0.0.1:0", root, uploads.resolve("in"), context);
    }

    @AfterEach
    void stop() throws Exception {
        server.stop(Duration.ofMillis(200));
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        blocking.shutdownNow();
    }

    private HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void staticFilesAndJson() throws Exception {
        assertThat(send("GET", "/", null).body()).isEqualTo("<h1>example</h1>");
        HttpResponse<String> hello = send("GET", "/api/hello?name=Ada+L", null);
        assertThat(hello.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(hello.body()).isEqualTo("{\"greeting\":\"hello, Ada L!\"}");
        assertThat(send("GET", "/api/users/42", null).body()).isEqualTo("{\"id\":42,\"name\":\"user-42\"}");
        assertThat(send("GET", "/api/users/x", null).statusCode()).isEqualTo(400);
        assertThat(send("GET", "/api/files/a/b.txt", null).body()).isEqualTo("you asked for a/b.txt\n");
        assertThat(send("GET", "/api/status", null).body()).contains("\"helloHits\":1", "\"startedAt\":\"20");
    }

    @Test
    void formRedirectsAndErrors() throws Exception {
        HttpResponse<String> form = send("POST", "/api/echo?x=1", "who=Bob+%26+Co",
                "Content-Type", "application/x-www-form-urlencoded");
        assertThat(form.body()).contains("\"form\":{\"who\":[\"Bob & Co\"]}", "\"query\":{\"x\":[\"1\"]}");
        HttpResponse<String> moved = send("GET", "/hello", null);
        assertThat(moved.statusCode()).isEqualTo(301);
        assertThat(moved.headers().firstValue("location")).hasValue("/api/hello");
        assertThat(send("GET", "/api/v1/hello", null).statusCode()).isEqualTo(308);
        HttpResponse<String> missing = send("GET", "/api/nothing", null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("\"error\":\"not found\"", "\"path\":\"/api/nothing\"");
        assertThat(send("GET", "/api/users/0", null).body()).contains("not found");
        HttpResponse<String> boom = send("GET", "/api/boom", null);
        assertThat(boom.statusCode()).isEqualTo(500);
        assertThat(boom.body()).contains("this endpoint always fails");
        assertThat(send("DELETE", "/api/hello", null).statusCode()).isEqualTo(405);
        assertThat(send("GET", "/not-here.html", null).statusCode()).isEqualTo(404);
    }

    @Test
    void uploadIsStoredUnderItsName() throws Exception {
        String content = "line\n".repeat(50_000);
        HttpResponse<String> up = send("PUT", "/api/upload/notes.txt", content);
        assertThat(up.statusCode()).isEqualTo(201);
        assertThat(up.body()).contains("\"bytes\":250000");
        assertThat(Files.readString(uploads.resolve("in/notes.txt"))).isEqualTo(content);
        assertThat(send("PUT", "/api/upload/.hidden", "x").statusCode()).isEqualTo(400);
        try (var files = Files.list(uploads.resolve("in"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("notes.txt");
        }
    }
}
