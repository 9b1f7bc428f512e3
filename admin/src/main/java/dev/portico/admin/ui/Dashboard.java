package dev.portico.admin.ui;

import dev.portico.admin.AdminRequest;
import dev.portico.admin.AdminResponse;
import dev.portico.admin.AdminRoutes;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dashboard: one page at {@code /} and its assets under {@value #ASSETS}, read from this
 * package's resources once. They hold no data and are served without a token; the page itself
 * calls the JSON API with the token it is given. Mount it with
 * {@code AdminServer.builder(metrics).routes(Dashboard::mount)}.
 */
public final class Dashboard {

    /** Where the assets are served. */
    public static final String ASSETS = "/ui/";

    /** What the page and its assets may load and reach: only this origin. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8",
            "favicon.svg", "image/svg+xml");

    private final Map<String, AdminResponse> files = new LinkedHashMap<>();

    private Dashboard() {
        TYPES.forEach((name, type) -> files.put(name, new AdminResponse(HttpResponseStatus.OK, type, read(name),
                Map.of("Content-Security-Policy", CSP,
                        "X-Content-Type-Options", "nosniff",
                        "Referrer-Policy", "no-referrer"))));
    }

    /** Adds {@code GET /} (the page) and {@code GET /ui/NAME} (its assets) as public routes. */
    public static void mount(AdminRoutes routes) {
        Dashboard d = new Dashboard();
        routes.publicGet("/", r -> d.files.get("index.html"));
        routes.publicPrefix(ASSETS, d::asset);
    }

    private AdminResponse asset(AdminRequest r) {
        if (!HttpMethod.GET.equals(r.method())) {
            return AdminResponse.error(HttpResponseStatus.METHOD_NOT_ALLOWED, r.method() + " is not allowed on " + r.path())
                    .withHeader("Allow", "GET, HEAD");
        }
        AdminResponse file = files.get(r.path().substring(ASSETS.length()));
        return file != null ? file : AdminResponse.error(HttpResponseStatus.NOT_FOUND, "no admin route for " + r.path());
    }

    private static byte[] read(String name) {
        try (InputStream in = Dashboard.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("dashboard resource " + name + " is missing from the admin jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
