package dev.portico.web.routes;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.web.ServerLifecycle;
import dev.portico.web.WebServer;
import dev.portico.web.files.MimeTypes;
import dev.portico.web.http.BodyAggregator;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.RequestHandler;
import io.netty.handler.codec.http.HttpUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * Routes for embedders, placed before static files in a {@link WebServer}: handlers by exact
 * path or by pattern ({@code /users/{id}}, {@code /files/{path...}}), filtered by method (a path
 * that matches with the wrong method answers 405 with Allow), static redirects rendered once,
 * streamed uploads, custom not-found and internal-error handlers, and start/stop callbacks.
 *
 * <p>A request no route matches passes on to the next handler (WebDAV, static files), unless it
 * lies under a path the routes {@linkplain Builder#own own}, or a not-found handler is set and no
 * prefix is owned: then the not-found handler answers. A handler that throws is logged and
 * answered by the internal-error handler; the connection carries on.
 *
 * <p>Handlers run on the connection's event loop unless {@link Builder#executor} names another
 * executor; bodies are collected up to {@link Builder#maxBodySize} first (413 above it).
 * Upload callbacks always run on the event loop.
 */
public final class Routes implements RequestHandler, ServerLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Routes.class);

    /** Some handler code to run. */
    @FunctionalInterface
    private interface Call {
        Response call() throws Exception;
    }

    /** A start or stop callback. */
    @FunctionalInterface
    public interface Callback {
        void run(WebServer server) throws Exception;
    }

    private final RouteTable table;
    private final Map<List<String>, Redirect> redirects;
    private final ErrorHandler notFound;
    private final ErrorHandler internalError;
    private final List<String> owned;
    private final long maxBodySize;
    private final Executor executor;
    private final ResponseWriter writer;
    private final List<Callback> onStart;
    private final List<Callback> onStop;

    private Routes(Builder b) {
        this.table = b.table;
        this.redirects = Map.copyOf(b.redirects);
        this.notFound = b.notFound;
        this.internalError = b.internalError;
        this.owned = b.owned.isEmpty() && b.notFound != null ? List.of("/") : List.copyOf(b.owned);
        this.maxBodySize = b.maxBodySize;
        this.executor = b.executor;
        this.writer = new ResponseWriter(b.mapper, MimeTypes.withOverrides(Map.of()));
        this.onStart = List.copyOf(b.onStart);
        this.onStop = List.copyOf(b.onStop);
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---- lifecycle -------------------------------------------------------------------------------

    @Override
    public void onStart(WebServer server) throws Exception {
        for (Callback c : onStart) {
            c.run(server);
        }
    }

    @Override
    public void onStop(WebServer server) {
        for (Callback c : onStop) {
            try {
                c.run(server);
            } catch (Exception e) {
                log.warn("stop callback failed", e);
            }
        }
    }

    // ---- dispatch --------------------------------------------------------------------------------

    @Override
    public boolean handle(Exchange ex) {
        List<String> segments;
        try {
            segments = RoutePath.segments(ex.rawPath());
        } catch (HttpError e) {
            return false; // not a path any route can match; the next handler refuses it
        }
        Redirect redirect = redirects.get(segments);
        if (redirect != null) {
            redirect.send(ex);
            return true;
        }
        String method = ex.method().name();
        Request request = new Request(ex, segments, Map.of(), null);
        switch (table.find(segments, method)) {
            case RouteTable.Found f -> dispatch(new Request(ex, segments, f.params(), null), f.route());
            case RouteTable.WrongMethod w -> {
                discardBody(ex);
                send(request, method.equals("OPTIONS") ? Response.status(204).header("Allow", w.allow())
                        : Response.text(405, "405 Method Not Allowed\n").header("Allow", w.allow()));
            }
            case RouteTable.NoRoute n -> {
                if (!owns(request.path())) {
                    return false;
                }
                discardBody(ex);
                send(request, resolve(request, () -> notFoundResponse(request, null)));
            }
        }
        return true;
    }

    private boolean owns(String path) {
        for (String prefix : owned) {
            if (path.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** A body nobody reads leaves the connection unusable. */
    private static void discardBody(Exchange ex) {
        if (ex.hasBody()) {
            ex.closeAfterResponse();
        }
    }

    private void dispatch(Request request, Route route) {
        Exchange ex = request.exchange();
        if (route.upload() != null) {
            Upload upload;
            try {
                upload = route.upload().begin(request);
                if (upload == null) {
                    throw new IllegalStateException("upload handler returned no upload");
                }
            } catch (Exception e) {
                discardBody(ex);
                fail(request, e);
                return;
            }
            ex.receiveBody(new UploadSink(this, request, upload));
            return;
        }
        if (!ex.hasBody()) {
            run(request, route.handler());
            return;
        }
        if (HttpUtil.getContentLength(ex.request(), -1L) > maxBodySize) {
            ex.errorAndClose(413);
            return;
        }
        ex.receiveBody(new BodyAggregator(ex, maxBodySize, body -> run(request.withBody(body), route.handler())));
    }

    private void run(Request request, Handler handler) {
        if (executor == null) {
            send(request, resolve(request, () -> handler.handle(request)));
            return;
        }
        executor.execute(() -> {
            Response response = resolve(request, () -> handler.handle(request));
            request.exchange().context().executor().execute(() -> send(request, response));
        });
    }

    /** Answers a failure: HttpError by status, anything else through the internal-error handler. */
    void fail(Request request, Exception error) {
        send(request, resolve(request, () -> {
            throw error;
        }));
    }

    /** Calls a handler and turns what it throws into a response. */
    private Response resolve(Request request, Call call) {
        try {
            Response r = call.call();
            if (r == null) {
                throw new IllegalStateException("handler returned no response");
            }
            return r;
        } catch (HttpError e) {
            return errorResponse(request, e);
        } catch (Exception | LinkageError | AssertionError e) {
            log.error("route {} {} failed", request.method(), request.path(), e);
            return internalErrorResponse(request, e);
        }
    }

    private Response errorResponse(Request request, HttpError e) {
        if (e.status() == 404) {
            return notFoundResponse(request, e);
        }
        return Response.text(e.status(), e.getMessage() + "\n");
    }

    private Response notFoundResponse(Request request, HttpError cause) {
        if (notFound == null) {
            return Response.text(404, "404 Not Found\n");
        }
        try {
            Response r = notFound.handle(request, cause);
            return r != null ? r : Response.text(404, "404 Not Found\n");
        } catch (Exception e) {
            log.error("not-found handler failed on {} {}", request.method(), request.path(), e);
            return internalErrorResponse(request, e);
        }
    }

    private Response internalErrorResponse(Request request, Throwable error) {
        if (internalError != null) {
            try {
                Response r = internalError.handle(request, error);
                if (r != null) {
                    return r;
                }
            } catch (Exception e) {
                log.error("internal-error handler failed on {} {}", request.method(), request.path(), e);
            }
        }
        return Response.text(500, "500 Internal Server Error\n");
    }

    /** Writes a response on the event loop; a response that cannot be written becomes an error answer. */
    void send(Request request, Response response) {
        Exchange ex = request.exchange();
        if (ex.responded()) {
            return;
        }
        try {
            writer.write(ex, response);
        } catch (HttpError e) {
            writeLast(ex, errorResponse(request, e));
        } catch (Exception e) {
            log.error("route {} {}: response could not be written", request.method(), request.path(), e);
            writeLast(ex, internalErrorResponse(request, e));
        }
    }

    private void writeLast(Exchange ex, Response response) {
        try {
            writer.write(ex, response);
        } catch (Exception e) {
            log.error("error response could not be written", e);
            if (!ex.responded()) {
                ex.error(500);
            }
        }
    }

    /** Collects routes and settings; {@link #build()} makes the immutable {@link Routes}. */
    public static final class Builder {
        private final RouteTable table = new RouteTable();
        private final Map<List<String>, Redirect> redirects = new HashMap<>();
        private final List<String> owned = new ArrayList<>();
        private final List<Callback> onStart = new ArrayList<>();
        private final List<Callback> onStop = new ArrayList<>();
        private ErrorHandler notFound;
        private ErrorHandler internalError;
        private long maxBodySize = 1 << 20;
        private Executor executor;
        private ObjectMapper mapper = new ObjectMapper();

        private Builder() {
        }

        public Builder get(String path, Handler handler) {
            return route("GET", path, handler);
        }

        public Builder post(String path, Handler handler) {
            return route("POST", path, handler);
        }

        public Builder put(String path, Handler handler) {
            return route("PUT", path, handler);
        }

        public Builder delete(String path, Handler handler) {
            return route("DELETE", path, handler);
        }

        /**
         * Adds a route.
         *
         * @param methods comma-separated methods ("GET,POST"), or "*" for any; GET also answers HEAD
         * @param path    an exact path or a pattern with {@code {name}} and a final {@code {name...}}
         */
        public Builder route(String methods, String path, Handler handler) {
            table.add(new Route(PathPattern.parse(path), methods(methods), java.util.Objects.requireNonNull(handler), null));
            return this;
        }

        /** Adds a route whose body is streamed to an {@link Upload} instead of collected. */
        public Builder upload(String methods, String path, UploadHandler handler) {
            table.add(new Route(PathPattern.parse(path), methods(methods), null, java.util.Objects.requireNonNull(handler)));
            return this;
        }

        /** A redirect from an exact path, for any method, rendered once here. */
        public Builder redirect(String from, String to, int status) {
            PathPattern p = PathPattern.parse(from);
            if (!p.isExact()) {
                throw new IllegalArgumentException("a redirect needs an exact path: " + from);
            }
            redirects.put(p.exactSegments(), new Redirect(status, to));
            return this;
        }

        /** Answers requests no route matched; with no {@link #own} prefix, every such request. */
        public Builder notFound(ErrorHandler handler) {
            this.notFound = handler;
            return this;
        }

        /** Answers requests whose handler threw (after the failure is logged). */
        public Builder internalError(ErrorHandler handler) {
            this.internalError = handler;
            return this;
        }

        /** Claims a decoded path prefix: unmatched requests under it get the not-found answer. */
        public Builder own(String pathPrefix) {
            owned.add(pathPrefix);
            return this;
        }

        /** The largest body collected for a normal route (default 1 MiB). */
        public Builder maxBodySize(long bytes) {
            this.maxBodySize = bytes;
            return this;
        }

        /** Runs handlers on this executor instead of the event loop (for handlers that block). */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /** The mapper that writes {@link Response#json} bodies. */
        public Builder objectMapper(ObjectMapper mapper) {
            this.mapper = mapper;
            return this;
        }

        public Builder onStart(Callback callback) {
            onStart.add(callback);
            return this;
        }

        public Builder onStop(Callback callback) {
            onStop.add(callback);
            return this;
        }

        public Routes build() {
            return new Routes(this);
        }

        private static Set<String> methods(String methods) {
            if (methods.trim().equals("*")) {
                return Set.of();
            }
            Set<String> out = new LinkedHashSet<>();
            Arrays.stream(methods.split(",")).map(m -> m.trim().toUpperCase(Locale.ROOT)).filter(m -> !m.isEmpty())
                    .forEach(out::add);
            if (out.isEmpty()) {
                throw new IllegalArgumentException("no methods given");
            }
            return Set.copyOf(out);
        }
    }
}
