package dev.portico.proxy;

import dev.portico.core.config.ConfigException;
import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import dev.portico.proxy.cache.CacheConfig;
import dev.portico.testing.PorticoExtension;
import dev.portico.testing.RunningService;
import dev.portico.web.WebConfig;
import dev.portico.web.WebServer;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The public seam of the proxy's cache: a service that relays responses itself looks requests
 * up, tees what it relays into the cache, and purges what its writes change.
 */
@Timeout(30)
class ProxyCacheTest {

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    @TempDir
    Path dir;

    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final AtomicInteger origin = new AtomicInteger();

    /** A web service whose handler answers through the cache from an "origin" counting its requests. */
    RunningService start(ProxyCache cache, String cacheControl) throws Exception {
        WebConfig c = WebConfig.builder().root(Files.createDirectories(dir.resolve("root"))).listen("127.0.0.1:0").build();
        return portico.start(new WebServer("cached", c, portico.context(), List.of(ex -> {
            if (ex.method().name().equals("PUT")) {
                cache.purge(ex.headers().get("Host"), ex.request().uri());
                ex.respond(204, "text/plain", "");
                return true;
            }
            cache.lookup(ex, () -> relay(cache, ex, cacheControl));
            return true;
        })));
    }

    private void relay(ProxyCache cache, Exchange ex, String cacheControl) {
        byte[] body = ("version " + origin.incrementAndGet() + " of " + ex.rawPath()).getBytes(StandardCharsets.UTF_8);
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set("Content-Type", "text/plain").set("Content-Length", body.length).set("ETag", "\"e" + origin.get() + "\"");
        if (cacheControl != null) {
            head.headers().set("Cache-Control", cacheControl);
        }
        ProxyCache.Fill fill = cache.fill(ex, head);
        ByteBuf data = Unpooled.wrappedBuffer(body);
        if (fill != null) {
            fill.body(data);
            fill.end();
        }
        ResponseHead h = ResponseHead.of(200);
        head.headers().forEach(e -> {
            if (!e.getKey().equalsIgnoreCase("Content-Length")) {
                h.header(e.getKey(), e.getValue());
            }
        });
        ex.respond(h, data);
    }

    java.net.http.HttpResponse<String> send(RunningService s, String method, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
                .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), BodyHandlers.ofString());
    }

    @Test
    void aFreshResponseIsServedFromTheCacheUntilPurged() throws Exception {
        ProxyCache cache = ProxyCache.open("cached", CacheConfig.builder().build(), portico.context());
        try {
            RunningService s = start(cache, "max-age=60");
            assertThat(send(s, "GET", "/a.txt").body()).isEqualTo("version 1 of /a.txt");
            java.net.http.HttpResponse<String> hit = send(s, "GET", "/a.txt");
            assertThat(hit.body()).isEqualTo("version 1 of /a.txt");
            assertThat(hit.headers().firstValue("x-cache")).hasValue("HIT");
            assertThat(origin.get()).isEqualTo(1);
            // answered from the entry: the client's conditional, a range, and HEAD
            assertThat(send(s, "GET", "/a.txt", "If-None-Match", "\"e1\"").statusCode()).isEqualTo(304);
            java.net.http.HttpResponse<String> range = send(s, "GET", "/a.txt", "Range", "bytes=0-6");
            assertThat(range.statusCode()).isEqualTo(206);
            assertThat(range.body()).isEqualTo("version");
            assertThat(send(s, "HEAD", "/a.txt").headers().firstValue("content-length")).hasValue("19");
            assertThat(origin.get()).isEqualTo(1);
            // no-cache from the client goes to the origin
            assertThat(send(s, "GET", "/a.txt", "Cache-Control", "no-cache").body()).isEqualTo("version 2 of /a.txt");
            assertThat(send(s, "GET", "/a.txt").body()).isEqualTo("version 2 of /a.txt");
            assertThat(send(s, "PUT", "/a.txt").statusCode()).isEqualTo(204);
            assertThat(send(s, "GET", "/a.txt").body()).isEqualTo("version 3 of /a.txt");
            assertThat(cache.stats().hits()).isPositive();
        } finally {
            cache.close();
        }
    }

    @Test
    void responsesTheProxyWouldNotStoreAreNotStored() throws Exception {
        ProxyCache cache = ProxyCache.open("cached", CacheConfig.builder().build(), portico.context());
        try {
            RunningService s = start(cache, "no-store");
            send(s, "GET", "/b.txt");
            assertThat(send(s, "GET", "/b.txt").body()).isEqualTo("version 2 of /b.txt");
        } finally {
            cache.close();
        }
    }

    @Test
    void theSectionHasTheProxySchema() throws Exception {
        Problems problems = new Problems();
        Section s = Section.of(new YamlLoader().load("memory_size: 1m\ndefault_ttl: {\"/_3fs*\": 10m}\n", "t.yaml"),
                "cache", problems);
        CacheConfig c = ProxyCache.readConfig(s);
        problems.throwIfAny();
        assertThat(c.memorySize()).isEqualTo(1L << 20);
        assertThat(c.defaultTtl("/_3fs_0/x")).isEqualTo(Duration.ofMinutes(10));
        assertThat(ProxyCache.toYaml(c)).containsEntry("memory_size", "1m").doesNotContainKey("disk_size");
        Problems bad = new Problems();
        ProxyCache.readConfig(Section.of(new YamlLoader().load("max_object_size: 0\nsize: 3\n", "t.yaml"), "cache", bad));
        assertThatThrownBy(bad::throwIfAny).isInstanceOf(ConfigException.class)
                .hasMessageContaining("max_object_size").hasMessageContaining("size");
    }
}
