package dev.portico.proxy;

import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading {@code type: proxy} sections. */
@Timeout(10)
class ProxyServiceTypeTest {

    @Test
    void readsEveryKey() throws Exception {
        String yaml = """
                type: proxy
                listen: [127.0.0.1:8080]
                pools:
                  "*": {backends: [127.0.0.1:9001, 127.0.0.1:9002], scheduler: iphash, health: "http:/health"}
                  api.example.com: {backends: [127.0.0.1:9003], scheduler: urlhash}
                trusted_proxies: [10.0.0.0/8]
                timeouts: {connect: 2s, first_byte: 30s, idle: 90s, send: 45s}
                limits: {request_headers: 8192, response_headers: 32768, body: 10m}
                keepalive: {max_idle: 8, idle: 15s}
                retries: 3
                backlog: 128
                """;
        ProxyConfig c = TestYaml.parse(yaml);
        assertThat(c).isNotNull();
        assertThat(c.pools()).containsOnlyKeys("*", "api.example.com");
        assertThat(c.pools().get("*").scheduler()).isEqualTo("iphash");
        assertThat(c.pools().get("*").backends()).hasSize(2);
        assertThat(c.pools().get("api.example.com").scheduler()).isEqualTo("urlhash");
        assertThat(c.trustedProxies()).hasSize(1);
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.firstByteTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.idleTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.sendTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(c.maxRequestHeaders()).isEqualTo(8192);
        assertThat(c.maxResponseHeaders()).isEqualTo(32768);
        assertThat(c.maxBodySize()).isEqualTo(10L << 20);
        assertThat(c.keepAliveMax()).isEqualTo(8);
        assertThat(c.keepAliveIdle()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.retries()).isEqualTo(3);
        assertThat(c.backlog()).isEqualTo(128);
    }

    @Test
    void backendsShorthandMakesTheDefaultPool() throws Exception {
        ProxyConfig c = TestYaml.parse("type: proxy\nlisten: [127.0.0.1:0]\nbackends: [127.0.0.1:9001]\n");
        assertThat(c.pools()).containsOnlyKeys("*");
        assertThat(c.pools().get("*").scheduler()).isEqualTo("roundrobin");
    }

    @Test
    void transparentModeNeedsAllow() throws Exception {
        ProxyConfig c = TestYaml.parse("type: proxy\nlisten: [127.0.0.1:0]\n"
                + "transparent: {ttl: 10s, port: 8080, allow: [10.0.0.0/8]}\n");
        assertThat(c.transparent().port()).isEqualTo(8080);
        assertThat(c.transparent().ttl()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.pools()).isEmpty();
        Problems problems = new Problems();
        assertThat(TestYaml.parse("type: proxy\nlisten: [127.0.0.1:0]\ntransparent: {port: 80}\n", problems)).isNull();
        assertThat(problems.list().toString()).contains("allow");
    }

    @Test
    void everyKeyRoundTripsAndDefaultsAreLeftOut() throws Exception {
        ProxyConfig c = TestYaml.parse("""
                type: proxy
                listen: [127.0.0.1:8080, "[::1]:8081"]
                pools:
                  "*": {backends: [127.0.0.1:9001, 127.0.0.1:9002], scheduler: iphash, health: "http:/health"}
                  api.example.com: {backends: [127.0.0.1:9003], scheduler: maglev, health: tcp}
                trusted_proxies: [10.0.0.0/8, "fd00::/8"]
                timeouts: {connect: 2s, first_byte: 30s, idle: 90s, send: 45s}
                limits: {request_headers: 8192, response_headers: 32768, body: 10m}
                keepalive: {max_idle: 8, idle: 15s}
                retries: 3
                retry_on: [connect-failure, timeout, 503]
                retry_buffer: 1m
                retry_budget: 50
                backlog: 128
                transparent: {ttl: 10s, port: 8080, allow: [192.168.0.0/16]}
                http2: {h2c: true, max_concurrent_streams: 32, max_header_list_size: 8k}
                """);
        assertThat(c.http2().h2c()).isTrue();
        assertThat(c.http2().maxConcurrentStreams()).isEqualTo(32);
        assertThat(c.http2().maxHeaderListSize()).isEqualTo(8192);
        ProxyServiceType type = new ProxyServiceType();
        String written = new dev.portico.core.config.YamlWriter().write(type.toYaml(c).orElseThrow());
        assertThat(TestYaml.parse(written)).isEqualTo(c);
        ProxyConfig small = TestYaml.parse("type: proxy\nlisten: [127.0.0.1:0]\nbackends: [127.0.0.1:9001]\n");
        java.util.Map<String, Object> section = type.toYaml(small).orElseThrow();
        assertThat(section).containsOnlyKeys("type", "listen", "pools");
        assertThat(TestYaml.parse(new dev.portico.core.config.YamlWriter().write(section))).isEqualTo(small);
    }

    @Test
    void problemsNameTheKey() throws Exception {
        Problems problems = new Problems();
        ProxyConfig c = TestYaml.parse("type: proxy\nlisten: [127.0.0.1:0]\n"
                + "pools: {\"*\": {backends: [127.0.0.1:9001], scheduler: nosuch}}\nretries: -1\n", problems);
        assertThat(c).isNull();
        String all = problems.list().toString();
        assertThat(all).contains("scheduler").contains("iphash").contains("retries");
    }

    @Test
    void retryKeysAreReadWithDefaultsAndBadOnesNamedWithTheirLine() throws Exception {
        ProxyConfig defaults = TestYaml.parse("type: proxy\nlisten: [127.0.0.1:0]\nbackends: [127.0.0.1:9001]\n");
        assertThat(defaults.retries()).isEqualTo(2);
        assertThat(defaults.retryOn()).containsExactlyInAnyOrder(RetryCondition.CONNECT_FAILURE, RetryCondition.RESET);
        assertThat(defaults.retryBuffer()).isEqualTo(64 << 10);
        assertThat(defaults.retryBudget()).isEqualTo(20);
        ProxyConfig c = TestYaml.parse("type: proxy\nlisten: [127.0.0.1:0]\nbackends: [127.0.0.1:9001]\n"
                + "retry_on: [reset, timeout, 502, 504]\nretry_buffer: 8k\nretry_budget: 5\n");
        assertThat(c.retryOn()).containsExactlyInAnyOrder(RetryCondition.RESET, RetryCondition.TIMEOUT,
                RetryCondition.STATUS_502, RetryCondition.STATUS_504);
        assertThat(c.retryBuffer()).isEqualTo(8192);
        assertThat(c.retryBudget()).isEqualTo(5);
        assertThat(ProxyConfig.builder().listen(dev.portico.core.net.HostPort.parse("127.0.0.1:0"))
                .pool("*", PoolSpec.of(dev.portico.core.net.HostPort.parse("127.0.0.1:9001")))
                .retryOn(RetryCondition.STATUS_503).retryBuffer(1).retryBudget(100).build().retryOn())
                .containsExactly(RetryCondition.STATUS_503);
        Problems problems = new Problems();
        assertThat(TestYaml.parse("type: proxy\nlisten: [127.0.0.1:0]\nbackends: [127.0.0.1:9001]\n"
                + "retry_on: [reset, 500]\nretry_budget: 101\n", problems)).isNull();
        String all = problems.list().toString();
        assertThat(all).contains("test.yaml:4").contains("retry_on").contains("'500'").contains("connect-failure, reset")
                .contains("test.yaml:5").contains("retry_budget");
    }

    /** Loads YAML text into a section of a fake file. */
    static final class TestYaml {
        static ProxyConfig parse(String yaml) throws Exception {
            return parse(yaml, new Problems());
        }

        static ProxyConfig parse(String yaml, Problems problems) throws Exception {
            Section s = Section.of(new YamlLoader().load(yaml, "test.yaml"), "services.p", problems);
            return new ProxyServiceType().parse("p", s);
        }
    }
}
