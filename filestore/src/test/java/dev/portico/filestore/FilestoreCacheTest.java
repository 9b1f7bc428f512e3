package dev.portico.filestore;

import dev.portico.proxy.cache.CacheConfig;
import dev.portico.testing.PorticoExtension;
import dev.portico.testing.RunningService;
import dev.portico.testing.fault.FaultyBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads cached as by the proxy (its {@code cache:} section through {@code ProxyCache}); writes purge. */
@Timeout(60)
class FilestoreCacheTest {

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    @TempDir
    Path dir;

    static CacheConfig cache() {
        return CacheConfig.builder().memorySize(1 << 20).defaultTtl("*", Duration.ofMinutes(1)).build();
    }

    @Test
    void aSecondReadIsAnsweredFromTheCache() throws Exception {
        StoreHarness store = new StoreHarness(portico);
        try (FaultyBackend one = FaultyBackend.start("one"); FaultyBackend two = FaultyBackend.start("two")) {
            TreeMap<Integer, List<String>> stages = new TreeMap<>();
            stages.put(0, List.of(one.address(), two.address()));
            RunningService router = store.start(store.router(dir.resolve("state")).pool(new StorePool("*", stages, 0))
                    .health(dev.portico.upstream.health.HealthCheckConfig.parse("none")).cache(cache()).build());
            HttpResponse<String> first = store.send(router, "GET", "/_3fs_0/f.txt", null);
            assertThat(first.statusCode()).isEqualTo(200);
            HttpResponse<String> second = store.send(router, "GET", "/_3fs_0/f.txt", null);
            assertThat(second.body()).isEqualTo(first.body());
            assertThat(second.headers().firstValue("x-cache")).hasValue("HIT");
            assertThat(one.requests() + two.requests()).isEqualTo(1);
            // URLs outside the prefix are balanced over every node, with the cache too
            store.send(router, "GET", "/other.html", null);
            assertThat(store.send(router, "GET", "/other.html", null).headers().firstValue("x-cache")).hasValue("HIT");
            assertThat(one.requests() + two.requests()).isEqualTo(2);
        }
    }

    @Test
    void aWriteThroughTheRouterPurgesItsUrls() throws Exception {
        StoreHarness store = new StoreHarness(portico).nodes(dir, 3);
        RunningService router = store.start(store.router(dir.resolve("state")).cache(cache()).build());
        assertThat(store.send(router, "PUT", "/_3fs_0/a/f.txt", "first").statusCode()).isBetween(200, 204);
        assertThat(store.send(router, "GET", "/_3fs_0/a/f.txt", null).body()).isEqualTo("first");
        assertThat(store.send(router, "GET", "/_3fs/a/f.txt", null).body()).isEqualTo("first");
        assertThat(store.send(router, "GET", "/_3fs_0/a/f.txt", null).headers().firstValue("x-cache")).hasValue("HIT");
        assertThat(store.send(router, "GET", "/_3fs/a/f.txt", null).headers().firstValue("x-cache")).hasValue("HIT");
        // a stage-less PUT lands in stage 0 and purges both forms
        assertThat(store.send(router, "PUT", "/_3fs/a/f.txt", "second").statusCode()).isBetween(200, 204);
        assertThat(store.send(router, "GET", "/_3fs_0/a/f.txt", null).body()).isEqualTo("second");
        assertThat(store.send(router, "GET", "/_3fs/a/f.txt", null).body()).isEqualTo("second");
        assertThat(store.send(router, "DELETE", "/_3fs_0/a/f.txt", null).statusCode()).isBetween(200, 204);
        assertThat(store.send(router, "GET", "/_3fs_0/a/f.txt", null).statusCode()).isEqualTo(404);
    }

    @Test
    void theCacheSectionIsTheProxys() throws Exception {
        FilestoreConfig c = PorticoExtension.parse(new FilestoreServiceType(), "fs", """
                type: filestore
                listen: [127.0.0.1:0]
                nodes: [127.0.0.1:9001, 127.0.0.1:9002]
                cache: {memory_size: 2m, default_ttl: {"/_3fs_*": 10m}}
                """);
        assertThat(c.cache().memorySize()).isEqualTo(2L << 20);
        assertThat(c.cache().defaultTtl("/_3fs_0/x")).isEqualTo(Duration.ofMinutes(10));
        java.util.Map<String, Object> section = new FilestoreServiceType().toYaml(c).orElseThrow();
        assertThat(section.get("cache").toString()).contains("memory_size=2m");
        // written back, the section reads as the same config
        assertThat(PorticoExtension.parse(new FilestoreServiceType(), "fs",
                new dev.portico.core.config.YamlWriter().write(section))).isEqualTo(c);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PorticoExtension.parse(new FilestoreServiceType(), "fs", """
                type: filestore
                listen: [127.0.0.1:0]
                nodes: [127.0.0.1:9001, 127.0.0.1:9002]
                cache: {memory: 2m}
                """)).hasMessageContaining("memory");
    }
}
