package dev.portico.web;

import dev.portico.testing.LogCapture;
import ch.qos.logback.classic.Level;
import dev.portico.web.routes.HttpError;
import dev.portico.web.routes.Response;
import dev.portico.web.routes.Routes;
import dev.portico.web.routes.Upload;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@Timeout(30)
class RoutesTest {

    @TempDir
    Path root;
    WebHarness web;

    record User(String id, String name) {
    }

    @BeforeEach
    void setUp() throws Exception {
        Files.writeString(root.resolve("static.txt"), "from static files");
        web = new WebHarness();
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    private void start(Routes routes) throws Exception {
        web.start(WebConfig.builder().root(root).listen("127.0.0.1:0").build(), List.of(routes));
    }

    @Test
    void exactAndPatternRoutesWithParameters() throws Exception {
        start(Routes.builder()
                .get("/", r -> Response.text("home"))
                .get("/users", r -> Response.text("list"))
                .get("/users/{id}", r -> Response.text("user " + r.param("id")))
                .get("/users/{id}/posts/{post}", r -> Response.text(r.param("id") + ":" + r.param("post")))
                .get("/files/{path...}", r -> Response.text("file [" + r.param("path") + "]"))
                .build());
        assertThat(web.get("/").body()).isEqualTo("home");
        assertThat(web.get("/users").body()).isEqualTo("list");
        assertThat(web.get("/users/42").body()).isEqualTo("user 42");
        assertThat(web.get("/users/a%20b").body()).isEqualTo("user a b");
        assertThat(web.get("/users/a%2Fb").body()).isEqualTo("user a/b");
        assertThat(web.get("/users/7/posts/9").body()).isEqualTo("7:9");
        assertThat(web.get("/files/a/b/c.txt").body()).isEqualTo("file [a/b/c.txt]");
        assertThat(web.get("/files/x/../y").body()).isEqualTo("file [y]");
        // no route for these: they pass on to static files
        assertThat(web.get("/users/").statusCode()).isEqualTo(404);
        assertThat(web.get("/files").statusCode()).isEqualTo(404);
        assertThat(web.get("/static.txt").body()).isEqualTo("from static files");
        try (Socket s = web.socket()) {
            String bad = WebHarness.exchange(s, "GET /users/%zz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", null);
            assertThat(bad).startsWith("HTTP/1.1 400");
        }
    }

    @Test
    void methodFiltersGive405WithAllow() throws Exception {
        start(Routes.builder()
                .route("GET,POST", "/thing", r -> Response.text(r.method()))
                .delete("/thing", r -> Response.status(204))
                .route("*", "/any", r -> Response.text("any " + r.method()))
                .build());
        assertThat(web.get("/thing").body()).isEqualTo("GET");
        assertThat(web.send("POST", "/thing", "x").body()).isEqualTo("POST");
        assertThat(web.send("DELETE", "/thing", null).statusCode()).isEqualTo(204);
        HttpResponse<String> put = web.send("PUT", "/thing", "x");
        assertThat(put.statusCode()).isEqualTo(405);
        assertThat(put.headers().firstValue("allow")).hasValue("DELETE, GET, HEAD, OPTIONS, POST");
        HttpResponse<String> head = web.send("HEAD", "/thing", null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("content-length")).hasValue("4"); // "HEAD", as GET would send it
        HttpResponse<String> options = web.send("OPTIONS", "/thing", null);
        assertThat(options.statusCode()).isEqualTo(204);
        assertThat(options.headers().firstValue("allow")).hasValue("DELETE, GET, HEAD, OPTIONS, POST");
        assertThat(web.send("PATCH", "/any", "x").body()).isEqualTo("any PATCH");
    }

    @Test
    void staticRedirects() throws Exception {
        start(Routes.builder()
                .redirect("/moved", "/new/place", 301)
                .redirect("/found", "https://example.test/?a=1&b=2", 302)
                .redirect("/temp", "/t", 307)
                .redirect("/perm", "/p", 308)
                .build());
        HttpClient noFollow = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        for (var c : Map.of("/moved", 301, "/found", 302, "/temp", 307, "/perm", 308).entrySet()) {
            HttpResponse<String> r = noFollow.send(HttpRequest.newBuilder(web.uri(c.getKey())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(c.getValue());
            assertThat(r.headers().firstValue("location")).isPresent();
        }
        HttpResponse<String> found = noFollow.send(HttpRequest.newBuilder(web.uri("/found")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(found.headers().firstValue("location")).hasValue("https://example.test/?a=1&b=2");
        assertThat(found.body()).contains("a=1&amp;b=2");
        assertThatThrownBy(() -> Routes.builder().redirect("/x", "/y", 200)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void queryParsingDecodesAfterSplitting() throws Exception {
        start(Routes.builder()
                .get("/q", r -> Response.json(r.query()))
                .get("/one", r -> Response.text(String.valueOf(r.query("name"))))
                .build());
        HttpResponse<String> r = web.get("/q?a=1&a=2&b=x+y&c=%26%3D%2B&d&&e=caf%C3%A9&=v");
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(r.body()).isEqualTo("{\"a\":[\"1\",\"2\"],\"b\":[\"x y\"],\"c\":[\"&=+\"],\"d\":[\"\"],"
                + "\"e\":[\"caf\u00e9\"],\"\":[\"v\"]}");
        assertThat(web.get("/one?name=J%C3%B6rg").body()).isEqualTo("J\u00f6rg");
        assertThat(web.get("/one").body()).isEqualTo("null");
        assertThat(web.get("/one?name=%C3").statusCode()).isEqualTo(400);
        try (Socket s = web.socket()) {
            String bad = WebHarness.exchange(s, "GET /one?name=%zz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", null);
            assertThat(bad).startsWith("HTTP/1.1 400");
        }
    }

    @Test
    void formPostsAndBodies() throws Exception {
        start(Routes.builder()
                .post("/form", r -> Response.json(Map.of("form", r.form(), "name", String.valueOf(r.form("name")))))
                .post("/echo", r -> Response.bytes(r.body(), "application/octet-stream"))
                .post("/text", r -> Response.text(r.bodyText().toUpperCase()))
                .maxBodySize(1000)
                .build());
        HttpResponse<String> form = web.send("POST", "/form", "name=J%C3%B6rg+M&tags=a&tags=b%26c",
                "Content-Type", "application/x-www-form-urlencoded; charset=UTF-8");
        assertThat(form.statusCode()).isEqualTo(200);
        assertThat(form.body()).contains("\"name\":\"J\u00f6rg M\"", "\"tags\":[\"a\",\"b&c\"]");
        HttpResponse<String> notForm = web.send("POST", "/form", "name=x", "Content-Type", "text/plain");
        assertThat(notForm.body()).contains("\"form\":{}");
        assertThat(web.send("POST", "/echo", "raw bytes").body()).isEqualTo("raw bytes");
        assertThat(web.send("POST", "/text", "hello", "Content-Type", "text/plain; charset=utf-8").body()).isEqualTo("HELLO");
        assertThat(web.send("POST", "/echo", "x".repeat(1001)).statusCode()).isEqualTo(413);
        try (Socket s = web.socket()) {
            String chunk = Integer.toHexString(600) + "\r\n" + "a".repeat(600) + "\r\n";
            String r = WebHarness.exchange(s, "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + chunk + chunk + "0\r\n\r\n", null);
            assertThat(r).startsWith("HTTP/1.1 413");
        }
    }

    @Test
    void jsonAndFileResponses() throws Exception {
        start(Routes.builder()
                .get("/user", r -> Response.json(new User("7", "Ada")).withStatus(201).header("X-Kind", "user"))
                .get("/doc", r -> Response.file(root.resolve("static.txt")))
                .get("/gone", r -> Response.file(root.resolve("nope.txt")))
                .build());
        HttpResponse<String> user = web.get("/user");
        assertThat(user.statusCode()).isEqualTo(201);
        assertThat(user.body()).isEqualTo("{\"id\":\"7\",\"name\":\"Ada\"}");
        assertThat(user.headers().firstValue("x-kind")).hasValue("user");
        HttpResponse<String> doc = web.get("/doc");
        assertThat(doc.body()).isEqualTo("from static files");
        assertThat(doc.headers().firstValue("content-type")).get().asString().startsWith("text/plain");
        assertThat(web.get("/gone").statusCode()).isEqualTo(404);
    }

    @Test
    void handlerFailuresGoToTheInternalErrorHandler() throws Exception {
        AtomicReference<Throwable> seen = new AtomicReference<>();
        start(Routes.builder()
                .get("/boom", r -> {
                    throw new IllegalStateException("kaput");
                })
                .get("/unserializable", r -> Response.json(new Object()))
                .get("/null", r -> null)
                .get("/teapot", r -> {
                    throw new HttpError(418, "short and stout");
                })
                .get("/ok", r -> Response.text("ok"))
                .internalError((r, e) -> {
                    seen.set(e);
                    return Response.text(500, "sorry: " + e.getMessage());
                })
                .build());
        try (LogCapture log = new LogCapture(Routes.class)) {
            try (Socket s = web.socket()) {
                String first = WebHarness.exchange(s, "GET /boom HTTP/1.1\r\nHost: h\r\n\r\n", "kaput");
                assertThat(first).startsWith("HTTP/1.1 500").endsWith("sorry: kaput");
                // the connection survives and serves the next request
                String second = WebHarness.exchange(s, "GET /ok HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", null);
                assertThat(second).startsWith("HTTP/1.1 200").endsWith("ok");
            }
            assertThat(seen.get()).isInstanceOf(IllegalStateException.class);
            assertThat(web.get("/unserializable").statusCode()).isEqualTo(500);
            assertThat(web.get("/null").body()).startsWith("sorry: handler returned no response");
            HttpResponse<String> teapot = web.get("/teapot");
            assertThat(teapot.statusCode()).isEqualTo(418);
            assertThat(teapot.body()).isEqualTo("short and stout\n");
            // an HttpError is an answer, not a failure: only the three failures are logged
            assertThat(log.messages(Level.WARN)).containsExactly("route GET /boom failed",
                    "route GET /unserializable: response could not be written", "route GET /null failed");
        }
    }

    @Test
    void defaultInternalErrorAndFailingErrorHandler() throws Exception {
        start(Routes.builder()
                .get("/boom", r -> {
                    throw new RuntimeException("x");
                })
                .build());
        try (LogCapture log = new LogCapture(Routes.class)) {
            HttpResponse<String> r = web.get("/boom");
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body()).isEqualTo("500 Internal Server Error\n");
            assertThat(log.messages(Level.ERROR)).containsExactly("route GET /boom failed");
        }
    }

    @Test
    void notFoundHandlerForOwnedPrefixesAndHttpError404() throws Exception {
        start(Routes.builder()
                .get("/api/users/{id}", r -> {
                    if (r.param("id").equals("0")) {
                        throw new HttpError(404);
                    }
                    return Response.text("user");
                })
                .own("/api/")
                .notFound((r, e) -> Response.json(Map.of("error", "no such thing", "path", r.path())).withStatus(404))
                .build());
        HttpResponse<String> missing = web.get("/api/nothing");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("\"error\":\"no such thing\"", "\"path\":\"/api/nothing\"");
        assertThat(web.get("/api/users/0").body()).contains("no such thing");
        assertThat(web.get("/api/users/1").body()).isEqualTo("user");
        // outside the owned prefix, static files answer
        assertThat(web.get("/static.txt").body()).isEqualTo("from static files");
        assertThat(web.get("/nope.txt").body()).doesNotContain("no such thing");
    }

    @Test
    void notFoundHandlerWithoutPrefixOwnsEverything() throws Exception {
        start(Routes.builder()
                .get("/a", r -> Response.text("a"))
                .notFound((r, e) -> Response.text(404, "custom 404 for " + r.path()))
                .build());
        HttpResponse<String> r = web.get("/static.txt");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("custom 404 for /static.txt");
    }

    @Test
    void streamingUploadGetsChunks() throws Exception {
        AtomicInteger chunks = new AtomicInteger();
        AtomicLong bytes = new AtomicLong();
        start(Routes.builder()
                .upload("PUT,POST", "/upload/{name}", r -> new Upload() {
                    @Override
                    public void onChunk(ByteBuffer chunk) {
                        chunks.incrementAndGet();
                        bytes.addAndGet(chunk.remaining());
                        assertThat(chunk.isReadOnly()).isTrue();
                    }

                    @Override
                    public Response onComplete() {
                        return Response.json(Map.of("name", r.param("name"), "bytes", bytes.get())).withStatus(201);
                    }
                })
                .build());
        byte[] body = new byte[2_000_000];
        HttpResponse<String> r = web.client.send(HttpRequest.newBuilder(web.uri("/upload/big.bin"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.body()).contains("\"name\":\"big.bin\"", "\"bytes\":2000000");
        assertThat(chunks.get()).isGreaterThan(1);
    }

    @Test
    void streamingUploadAbortsOnDisconnectAndFailsCleanly() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        start(Routes.builder()
                .upload("PUT", "/up", r -> new Upload() {
                    @Override
                    public void onChunk(ByteBuffer chunk) {
                        events.add("chunk");
                        if (r.query("fail") != null) {
                            throw new IllegalArgumentException("bad chunk");
                        }
                    }

                    @Override
                    public Response onComplete() {
                        events.add("complete");
                        return Response.text("done");
                    }

                    @Override
                    public void onAbort() {
                        events.add("abort");
                    }
                })
                .upload("PUT", "/refuse", r -> {
                    throw new HttpError(403, "no uploads for you");
                })
                .build());
        try (Socket s = web.socket()) {
            OutputStream out = s.getOutputStream();
            out.write("PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[1000]);
            out.flush();
            await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("chunk"));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("abort"));
        assertThat(events).doesNotContain("complete");
        events.clear();
        try (LogCapture log = new LogCapture(Routes.class)) {
            HttpResponse<String> failed = web.send("PUT", "/up?fail=1", "data");
            assertThat(failed.statusCode()).isEqualTo(500);
            assertThat(log.messages(Level.ERROR)).containsExactly("route PUT /up failed");
        }
        assertThat(events).containsExactly("chunk", "abort");
        HttpResponse<String> refused = web.send("PUT", "/refuse", "data");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).isEqualTo("no uploads for you\n");
    }

    @Test
    void lifecycleCallbacksRunOnStartAndStop() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        start(Routes.builder()
                .get("/x", r -> Response.text("x"))
                .onStart(server -> calls.add("start:" + (server.port() > 0)))
                .onStop(server -> calls.add("stop"))
                .build());
        assertThat(calls).containsExactly("start:true");
        web.server.stop(Duration.ofMillis(100));
        assertThat(calls).containsExactly("start:true", "stop");
        web.server = null;
    }

    @Test
    void failingStartCallbackAbortsTheStart() throws Exception {
        AtomicBoolean stopped = new AtomicBoolean();
        Routes routes = Routes.builder()
                .onStart(server -> {
                    throw new IllegalStateException("not today");
                })
                .onStop(server -> stopped.set(true))
                .build();
        WebServer server = new WebServer("t", WebConfig.builder().root(root).listen("127.0.0.1:0").build(),
                web.context, List.of(routes));
        assertThatThrownBy(server::start).hasMessage("not today");
        assertThat(server.endpoints()).isEmpty();
        assertThat(stopped).isFalse();
    }

    @Test
    void handlersCanRunOnAnExecutor() throws Exception {
        try (var pool = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().name("route-worker-", 0).factory())) {
            start(Routes.builder()
                    .get("/who", r -> Response.text(Thread.currentThread().getName()))
                    .post("/len", r -> Response.text(Integer.toString(r.body().length)))
                    .executor(pool)
                    .build());
            assertThat(web.get("/who").body()).startsWith("route-worker-");
            assertThat(web.send("POST", "/len", "12345").body()).isEqualTo("5");
        }
    }
}
