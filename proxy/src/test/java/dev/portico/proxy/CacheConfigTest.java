package dev.portico.proxy;

import dev.portico.core.config.Problems;
import dev.portico.core.config.YamlWriter;
import dev.portico.proxy.cache.CacheConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code cache:} section of a proxy: reading, defaults, errors and writing back. */
@Timeout(10)
class CacheConfigTest {

    private static final String HEAD = "type: proxy\nlisten: [127.0.0.1:0]\nbackends: [127.0.0.1:9001]\n";

    @Test
    void readsEveryKey() throws Exception {
        ProxyConfig c = ProxyServiceTypeTest.TestYaml.parse(HEAD + """
                cache:
                  memory_size: 256m
                  dir: /var/cache/portico/edge
                  disk_size: 2g
                  max_object_size: 16m
                  default_ttl: {"/static/*": 1h, "*.png": 10m, "*": 0s}
                  coalesce_timeout: 3s
                  stale_if_error: 1d
                  stale_while_revalidate: 30s
                """);
        CacheConfig cache = c.cache();
        assertThat(cache.memorySize()).isEqualTo(256L << 20);
        assertThat(cache.dir()).isEqualTo(Path.of("/var/cache/portico/edge"));
        assertThat(cache.diskSize()).isEqualTo(2L << 30);
        assertThat(cache.maxObjectSize()).isEqualTo(16L << 20);
        assertThat(cache.defaultTtl()).extracting(CacheConfig.TtlRule::glob).containsExactly("/static/*", "*.png", "*");
        assertThat(cache.defaultTtl("/static/a/b.css")).isEqualTo(Duration.ofHours(1));
        assertThat(cache.defaultTtl("/img/x.png")).isEqualTo(Duration.ofMinutes(10));
        assertThat(cache.defaultTtl("/page")).isEqualTo(Duration.ZERO);
        assertThat(cache.coalesceTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(cache.staleIfError()).isEqualTo(Duration.ofDays(1));
        assertThat(cache.staleWhileRevalidate()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void noCacheKeyMeansNoCacheAndAnEmptyOneMeansDefaults() throws Exception {
        assertThat(ProxyServiceTypeTest.TestYaml.parse(HEAD).cache()).isNull();
        CacheConfig c = ProxyServiceTypeTest.TestYaml.parse(HEAD + "cache: {}\n").cache();
        assertThat(c).isEqualTo(CacheConfig.builder().build());
        assertThat(c.memorySize()).isEqualTo(64L << 20);
        assertThat(c.dir()).isNull();
        assertThat(c.defaultTtl("/anything")).isNull();
        assertThat(ProxyServiceTypeTest.TestYaml.parse(HEAD + "cache:\n").cache()).isEqualTo(c);
    }

    @Test
    void roundTripsThroughToYaml() throws Exception {
        ProxyServiceType type = new ProxyServiceType();
        ProxyConfig full = ProxyServiceTypeTest.TestYaml.parse(HEAD + """
                cache: {memory_size: 1m, dir: /tmp/c, disk_size: 5m, max_object_size: 64k,
                        default_ttl: {"/a/*": 5m, "*": 1s}, coalesce_timeout: 1s, stale_if_error: 1h,
                        stale_while_revalidate: 2m}
                """);
        String written = new YamlWriter().write(type.toYaml(full).orElseThrow());
        assertThat(ProxyServiceTypeTest.TestYaml.parse(written)).isEqualTo(full);
        ProxyConfig defaults = ProxyServiceTypeTest.TestYaml.parse(HEAD + "cache: {}\n");
        Map<String, Object> section = type.toYaml(defaults).orElseThrow();
        assertThat(section.get("cache")).isEqualTo(Map.of());
        assertThat(ProxyServiceTypeTest.TestYaml.parse(new YamlWriter().write(section))).isEqualTo(defaults);
        ProxyConfig built = ProxyConfig.builder().listen(dev.portico.core.net.HostPort.parse("127.0.0.1:1"))
                .pool("*", PoolSpec.of(dev.portico.core.net.HostPort.parse("127.0.0.1:2")))
                .cache(CacheConfig.builder().memorySize(2L << 20).defaultTtl("*", Duration.ofMinutes(1)).build()).build();
        assertThat(ProxyServiceTypeTest.TestYaml.parse(new YamlWriter().write(type.toYaml(built).orElseThrow())))
                .isEqualTo(built);
    }

    @Test
    void mistakesAreReportedWithTheKey() throws Exception {
        Problems problems = new Problems();
        assertThat(ProxyServiceTypeTest.TestYaml.parse(HEAD + "cache: {memroy_size: 1m, default_ttl: {\"*\": soon}}\n",
                problems)).isNull();
        String all = problems.list().toString();
        assertThat(all).contains("memroy_size").contains("did you mean 'memory_size'").contains("soon");
    }

    @Test
    void heuristicIsOffByDefaultAndReadWithItsDefaults() throws Exception {
        assertThat(ProxyServiceTypeTest.TestYaml.parse(HEAD + "cache: {}\n").cache().heuristic()).isNull();
        assertThat(ProxyServiceTypeTest.TestYaml.parse(HEAD + "cache: {heuristic: {}}\n").cache().heuristic())
                .isEqualTo(new CacheConfig.Heuristic(0.1, Duration.ofDays(1)));
        ProxyConfig c = ProxyServiceTypeTest.TestYaml.parse(HEAD + "cache: {heuristic: {fraction: 0.25, max: 2h}}\n");
        assertThat(c.cache().heuristic()).isEqualTo(new CacheConfig.Heuristic(0.25, Duration.ofHours(2)));
        String written = new YamlWriter().write(new ProxyServiceType().toYaml(c).orElseThrow());
        assertThat(ProxyServiceTypeTest.TestYaml.parse(written)).isEqualTo(c);
        for (String bad : new String[] {"{fraction: 2}", "{fraction: 0}", "{fraction: lots}", "{max: 0s}", "{maks: 1h}"}) {
            Problems problems = new Problems();
            assertThat(ProxyServiceTypeTest.TestYaml.parse(HEAD + "cache: {heuristic: " + bad + "}\n", problems))
                    .as(bad).isNull();
            assertThat(problems.list().toString()).as(bad).contains("heuristic");
        }
    }

    @Test
    void globsMatchAcrossSlashes() {
        CacheConfig.TtlRule r = new CacheConfig.TtlRule("/static/*.css", Duration.ofMinutes(1));
        assertThat(r.matches("/static/a/b.css")).isTrue();
        assertThat(r.matches("/static/b.js")).isFalse();
        assertThat(new CacheConfig.TtlRule("/?", Duration.ZERO).matches("/a")).isTrue();
        assertThat(new CacheConfig.TtlRule("/?", Duration.ZERO).matches("/ab")).isFalse();
    }
}
