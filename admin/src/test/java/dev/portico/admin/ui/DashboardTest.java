package dev.portico.admin.ui;

import dev.portico.admin.AdminRole;
import dev.portico.admin.AdminServer;
import dev.portico.admin.AdminResponse;
import dev.portico.core.net.HostPort;
import dev.portico.testing.PorticoExtension;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class DashboardTest {

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private AdminServer admin;

    @BeforeEach
    void start() throws Exception {
        admin = AdminServer.builder(portico.metrics())
                .listen(new HostPort("127.0.0.1", 0))
                .token("writer", AdminRole.WRITE)
                .token("reader", AdminRole.READ)
                .prefix("/api/v1/", r -> AdminResponse.json(HttpResponseStatus.OK, "{\"services\":[]}"))
                .routes(Dashboard::mount)
                .build()
                .start(portico.context().transport(), portico.context().workers());
    }

    @AfterEach
    void stop() {
        admin.close();
        http.close();
    }

    private HttpResponse<String> send(String method, String path, String token) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(admin.baseUrl() + path))
                .timeout(Duration.ofSeconds(5))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void thePageAndEveryAssetItNamesAreServedWithoutAToken() throws Exception {
        HttpResponse<String> page = send("GET", "/", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("content-security-policy")).hasValue(Dashboard.CSP);
        assertThat(page.headers().firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(page.body()).contains("<title>Portico</title>", "id=\"services\"", "id=\"signin-form\"",
                "id=\"certificates\"");

        Matcher assets = Pattern.compile("(?:src|href)=\"(/ui/[^\"]+)\"").matcher(page.body());
        int found = 0;
        while (assets.find()) {
            HttpResponse<String> asset = send("GET", assets.group(1), null);
            assertThat(asset.statusCode()).as(assets.group(1)).isEqualTo(200);
            assertThat(asset.body()).as(assets.group(1)).isNotBlank();
            found++;
        }
        assertThat(found).isGreaterThanOrEqualTo(3);
        assertThat(send("GET", "/ui/app.js", null).headers().firstValue("content-type"))
                .hasValue("text/javascript; charset=utf-8");
        assertThat(send("GET", "/ui/app.css", null).headers().firstValue("content-type"))
                .hasValue("text/css; charset=utf-8");
        assertThat(send("HEAD", "/", null).statusCode()).isEqualTo(200);
    }

    @Test
    void thePageUsesNothingFromOtherOrigins() throws Exception {
        for (String path : new String[] {"/", "/ui/app.js", "/ui/app.css"}) {
            // The SVG namespace is a name the DOM needs to make chart elements, never fetched.
            String body = send("GET", path, null).body().replace("'http://www.w3.org/2000/svg'", "SVG_NS");
            assertThat(body).as(path).doesNotContain("http://", "https://", "//cdn");
        }
    }

    @Test
    void theApiAndEverythingElseStillNeedAToken() throws Exception {
        assertThat(send("GET", "/api/v1/services", null).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/metrics", null).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/ui/../api/v1/services", null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/ui/nope.js", null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/ui/../api/v1/services", null).body()).doesNotContain("services\":");
        assertThat(send("GET", "/api/v1/services", "reader").statusCode()).isEqualTo(200);
    }

    @Test
    void onlyGetAndHeadArePublic() throws Exception {
        assertThat(send("POST", "/", null).statusCode()).isEqualTo(401);
        assertThat(send("POST", "/ui/app.js", null).statusCode()).isEqualTo(401);
        HttpResponse<String> post = send("POST", "/ui/app.js", "writer");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
        assertThat(send("POST", "/", "writer").statusCode()).isEqualTo(405);
    }
}
