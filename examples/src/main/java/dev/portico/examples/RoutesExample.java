package dev.portico.examples;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.metrics.Metrics;
import dev.portico.core.transport.Transport;
import dev.portico.web.WebConfig;
import dev.portico.web.WebServer;
import dev.portico.web.routes.HttpError;
import dev.portico.web.routes.Response;
import dev.portico.web.routes.Routes;
import dev.portico.web.routes.Upload;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Embeds a {@link WebServer} that serves static files from a directory, with routes in front:
 * a JSON endpoint, path parameters, a form post, redirects, a streamed upload, a custom
 * not-found answer under {@code /api/}, a custom internal-error answer, and start/stop
 * callbacks. Run it with {@code [port] [root] [upload dir]}.
 */
public final class RoutesExample {

    private static final Logger log = LoggerFactory.getLogger(RoutesExample.class);

    /** What a user endpoint answers; written as JSON. */
    public record User(long id, String name) {
    }

    private RoutesExample() {
    }

    /**
     * The example's routes.
     *
     * @param uploads where uploads are stored (created at start)
     */
    public static Routes routes(Path uploads) {
        AtomicLong hits = new AtomicLong();
        AtomicReference<Instant> startedAt = new AtomicReference<>();
        return Routes.builder()
                .get("/api/hello", r -> {
                    hits.incrementAndGet();
                    String name = r.query("name");
                    return Response.json(Map.of("greeting", "hello, " + (name == null ? "world" : name) + "!"));
                })
                .get("/api/users/{id}", r -> {
                    long id;
                    try {
                        id = Long.parseLong(r.param("id"));
                    } catch (NumberFormatException e) {
                        throw new HttpError(400, "user id must be a number");
                    }
                    if (id <= 0) {
                        throw new HttpError(404);
                    }
                    return Response.json(new User(id, "user-" + id));
                })
                .route("GET,POST", "/api/echo", r -> Response.json(Map.of(
                        "method", r.method(), "query", r.query(), "form", r.form())))
                .get("/api/files/{path...}", r -> Response.text("you asked for " + r.param("path") + "\n"))
                .get("/api/boom", r -> {
                    throw new IllegalStateException("this endpoint always fails");
                })
                .get("/api/status", r -> Response.json(Map.of(
                        "startedAt", String.valueOf(startedAt.get()), "helloHits", hits.get())))
                .upload("PUT,POST", "/api/upload/{name}", r -> upload(uploads, r.param("name")))
                .redirect("/hello", "/api/hello", 301)
                .redirect("/docs", "/index.html", 302)
                .redirect("/api/v1/hello", "/api/hello", 308)
                .own("/api/")
                .notFound((r, e) -> Response.json(Map.of("error", "not found", "path", r.path())).withStatus(404))
                .internalError((r, e) -> Response.json(Map.of("error", "internal", "message", e.getMessage()))
                        .withStatus(500))
                .onStart(server -> {
                    Files.createDirectories(uploads);
                    startedAt.set(Instant.now());
                    log.info("example started on {}", server.endpoints());
                })
                .onStop(server -> log.info("example stopped after {} hello calls", hits.get()))
                .build();
    }

    /**
     * Streams an upload to a temporary file, then moves it into place. Upload callbacks run on the
     * event loop; writes to the page cache are quick enough for an example.
     */
    private static Upload upload(Path dir, String name) throws IOException {
        if (name.contains("/") || name.startsWith(".")) {
            throw new HttpError(400, "bad file name");
        }
        Path temp = Files.createTempFile(dir, ".upload-", ".part");
        FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE);
        return new Upload() {
            private long size;

            @Override
            public void onChunk(ByteBuffer chunk) throws IOException {
                size += chunk.remaining();
                while (chunk.hasRemaining()) {
                    out.write(chunk);
                }
            }

            @Override
            public Response onComplete() throws IOException {
                out.close();
                Files.move(temp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return Response.json(Map.of("name", name, "bytes", size)).withStatus(201);
            }

            @Override
            public void onAbort() {
                try {
                    out.close();
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    log.warn("could not remove partial upload {}: {}", temp, e.toString());
                }
            }
        };
    }

    /** Starts the example on {@code host:port} (port 0 picks a free one). */
    public static WebServer start(String listen, Path root, Path uploads, ServiceContext context) throws Exception {
        WebConfig config = WebConfig.builder().listen(listen).root(root).build();
        WebServer server = new WebServer("example", config, context, List.of(routes(uploads)));
        server.start();
        return server;
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        Path root = Path.of(args.length > 1 ? args[1] : ".");
        Path uploads = Path.of(args.length > 2 ? args[2] : "uploads");
        Transport transport = Transport.select(null);
        EventLoopGroup group = transport.newGroup(Runtime.getRuntime().availableProcessors(), "example");
        ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
        ServiceContext context = new ServiceContext(transport, group, new Metrics().registry(), Clock.systemUTC(), blocking);
        WebServer server = start("0.0.0.0:" + port, root, uploads, context);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            server.stop(Duration.ofSeconds(5));
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            blocking.shutdown();
            stopped.countDown();
        }));
        stopped.await();
    }
}
