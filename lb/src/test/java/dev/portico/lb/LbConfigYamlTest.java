package dev.portico.lb;

import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import dev.portico.core.config.YamlWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class LbConfigYamlTest {

    private final LbServiceType type = new LbServiceType();

    private LbConfig parse(String yaml) throws Exception {
        Problems problems = new Problems();
        LbConfig c = type.parse("front", Section.of(new YamlLoader().load(yaml, "lb.yaml"), "services.front", problems));
        assertThat(problems.list()).isEmpty();
        return c;
    }

    private LbConfig roundTrip(LbConfig c) throws Exception {
        Map<String, Object> section = type.toYaml(c).orElseThrow();
        return parse(new YamlWriter().write(section));
    }

    @Test
    void everyKeyRoundTrips() throws Exception {
        LbConfig c = parse("""
                type: lb
                listen: [127.0.0.1:8000, "[::1]:8001"]
                groups:
                  main: [{address: 127.0.0.1:9001, weight: 2}, "127.0.0.1:9002"]
                  standby: [10.0.0.1:9001]
                active_group: standby
                scheduler: weighted
                health: {type: http, path: /health, expect: "200,204", body_contains: "ok: yes", host_header: x.test,
                         port: 81, interval: 3s, timeout: 500ms, rise: 4, fall: 5, down_interval: 2s, all_down_interval: 1s}
                retries: 1
                timeouts: {connect: 2s, idle: 1m, client_hello: 3s}
                limits: {connections: 1000, per_backend: 50}
                proxy_protocol: v2
                backlog: 128
                splice: off
                sni_routes: {"*.a.test": main, b.test: standby, default: standby}
                sni_fallback: close
                """);
        assertThat(c.splice()).isEqualTo(Splice.OFF);
        assertThat(c.sniRoutes()).hasSize(3);
        assertThat(roundTrip(c)).isEqualTo(c);
    }

    @Test
    void defaultsAreLeftOutAndShortHealthFormsStayShort() throws Exception {
        LbConfig c = parse("""
                type: lb
                listen: [0.0.0.0:8000]
                backends: [10.0.0.1:80, 10.0.0.2:80]
                health: http:/status
                """);
        String yaml = new YamlWriter().write(type.toYaml(c).orElseThrow());
        assertThat(yaml).isEqualTo("""
                type: lb
                listen:
                  - 0.0.0.0:8000
                groups:
                  main:
                    - 10.0.0.1:80
                    - 10.0.0.2:80
                active_group: main
                health: http:/status
                """);
        assertThat(roundTrip(c)).isEqualTo(c);
    }

    @Test
    void retriesAsANumberAndRunningConfigChangesRoundTrip() throws Exception {
        LbConfig c = LbConfig.builder().listen("127.0.0.1:0").backend("127.0.0.1:9001", 7).retries(0)
                .scheduler("leastconnsrr").health("none").build();
        assertThat(roundTrip(c)).isEqualTo(c);
    }
}
