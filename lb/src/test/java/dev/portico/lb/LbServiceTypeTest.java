package dev.portico.lb;

import dev.portico.core.config.ConfigException;
import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.YamlLoader;
import dev.portico.core.net.HostPort;
import dev.portico.upstream.AdminState;
import dev.portico.upstream.health.HealthCheckType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class LbServiceTypeTest {

    private final Problems problems = new Problems();

    private LbConfig parse(String yaml) throws ConfigException {
        Section s = Section.of(new YamlLoader().load(yaml, "lb.yaml"), "services.front", problems);
        return new LbServiceType().parse("front", s);
    }

    private List<String> messages() {
        return problems.list().stream().map(p -> p.toString()).toList();
    }

    @Test
    void readsEveryKey() throws Exception {
        LbConfig c = parse("""
                type: lb
                listen: [127.0.0.1:8000, "[::1]:8001"]
                groups:
                  main: [{address: 127.0.0.1:9001, weight: 2}, "127.0.0.1:9002", {address: 127.0.0.1:9003, state: draining}]
                  standby: [{address: 10.0.0.1:9001, state: Disabled}]
                active_group: standby
                scheduler: leastconns
                health: {type: http, path: /health, interval: 3s, timeout: 500ms, rise: 4, fall: 5}
                retries: 1
                timeouts: {connect: 2s, idle: 1m}
                limits: {connections: 1000, per_backend: 50}
                proxy_protocol: v2
                backlog: 128
                splice: on
                """);

        assertThat(messages()).isEmpty();
        assertThat(c.splice()).isEqualTo(Splice.ON);
        assertThat(c.listen()).containsExactly(new HostPort("127.0.0.1", 8000), new HostPort("::1", 8001));
        assertThat(c.groups().get("main")).containsExactly(
                new LbConfig.BackendSpec(new HostPort("127.0.0.1", 9001), 2),
                new LbConfig.BackendSpec(new HostPort("127.0.0.1", 9002), 1),
                new LbConfig.BackendSpec(new HostPort("127.0.0.1", 9003), 1, AdminState.DRAINING));
        assertThat(c.groups().get("standby")).containsExactly(
                new LbConfig.BackendSpec(new HostPort("10.0.0.1", 9001), 1, AdminState.DISABLED));
        // save writes the states back.
        Map<String, Object> written = new LbServiceType().toYaml(c).orElseThrow();
        assertThat(written.get("groups").toString()).contains("state=draining").contains("state=disabled");
        assertThat(c.groups()).containsOnlyKeys("main", "standby");
        assertThat(c.activeGroup()).isEqualTo("standby");
        assertThat(c.scheduler()).isEqualTo("leastconns");
        assertThat(c.health().type()).isEqualTo(HealthCheckType.HTTP);
        assertThat(c.health().path()).isEqualTo("/health");
        assertThat(c.health().interval()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.health().timeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.health().rise()).isEqualTo(4);
        assertThat(c.health().fall()).isEqualTo(5);
        assertThat(c.retries()).isEqualTo(1);
        assertThat(c.attempts(5)).isEqualTo(2);
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.idleTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.maxConnections()).isEqualTo(1000);
        assertThat(c.maxPerBackend()).isEqualTo(50);
        assertThat(c.proxyProtocol()).isEqualTo(ProxyProtocol.V2);
        assertThat(c.backlog()).isEqualTo(128);
    }

    @Test
    void quickFormsAndDefaults() throws Exception {
        LbConfig c = parse("""
                listen: 8000
                backends: [127.0.0.1:9001, 127.0.0.1:9002]
                health: http:/ping
                """);

        assertThat(messages()).isEmpty();
        assertThat(c.listen()).containsExactly(new HostPort("0.0.0.0", 8000));
        assertThat(c.activeGroup()).isEqualTo("main");
        assertThat(c.groups().get("main")).hasSize(2);
        assertThat(c.scheduler()).isEqualTo("roundrobin");
        assertThat(c.health().path()).isEqualTo("/ping");
        assertThat(c.retries()).isEqualTo(LbConfig.RETRY_EVERY_HOST);
        assertThat(c.attempts(3)).isEqualTo(3);
        assertThat(c.proxyProtocol()).isEqualTo(ProxyProtocol.OFF);
        assertThat(c.splice()).isEqualTo(Splice.AUTO);
    }

    @Test
    void readsSniRoutes() throws Exception {
        LbConfig c = parse("""
                type: lb
                listen: [127.0.0.1:8443]
                groups:
                  a: [127.0.0.1:9001]
                  b: [127.0.0.1:9002]
                  c: [127.0.0.1:9003]
                sni_routes: {"*.A.test": a, b.test: b, default: c}
                sni_fallback: close
                timeouts: {client_hello: 2s}
                """);

        assertThat(messages()).isEmpty();
        assertThat(c.sniRoutes()).containsExactly(Map.entry("*.a.test", "a"), Map.entry("b.test", "b"),
                Map.entry("default", "c"));
        assertThat(c.sniFallback()).isEqualTo(SniFallback.CLOSE);
        assertThat(c.clientHelloTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.sniDefaultGroup()).isEqualTo("c");
        assertThat(c.routesBySni()).isTrue();

        LbConfig plain = parse("""
                listen: [127.0.0.1:8000]
                backends: [127.0.0.1:9001]
                sni_routes: {b.test: main}
                """);
        assertThat(plain.sniDefaultGroup()).isEqualTo("main");
        assertThat(plain.sniFallback()).isEqualTo(SniFallback.DEFAULT);
        assertThat(plain.clientHelloTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void reportsSniMistakesWithTheirPlace() throws Exception {
        LbConfig c = parse("""
                listen: [127.0.0.1:8000]
                groups:
                  a: [127.0.0.1:9001]
                sni_routes:
                  "*.*.a.test": a
                  b.test: nowhere
                  "10.0.0.1": a
                  "c.test.": a
                sni_fallback: drop
                timeouts: {client_hello: 0s}
                """);

        assertThat(c).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("lb.yaml:5:").contains("'*.*.a.test'")
                        .contains("not a server name"))
                .anySatisfy(m -> assertThat(m).contains("lb.yaml:6:").contains("group 'nowhere'").contains("[a]"))
                .anySatisfy(m -> assertThat(m).contains("lb.yaml:7:").contains("'10.0.0.1'"))
                .anySatisfy(m -> assertThat(m).contains("lb.yaml:8:").contains("'c.test.'"))
                .anySatisfy(m -> assertThat(m).contains("lb.yaml:9:").contains("'drop'"))
                .anySatisfy(m -> assertThat(m).contains("lb.yaml:10:").contains("client_hello"));
    }

    @Test
    void readsTlsOffloadAndPlacesItsMistakes() throws Exception {
        LbConfig c = parse("""
                listen: [127.0.0.1:8443]
                backends: [127.0.0.1:9001]
                tls: {self_signed: true, handshake_timeout: 3s}
                """);
        assertThat(c).isNotNull();
        assertThat(c.tls().selfSigned()).isTrue();
        assertThat(c.tls().handshakeTimeout()).hasSeconds(3);
        assertThat(LbConfigYaml.write(c)).containsKey("tls");

        assertThat(parse("""
                listen: [127.0.0.1:8443]
                backends: [127.0.0.1:9001]
                tls: {certificates: [{cert: /nonexistent/site.pem, key: /nonexistent/site.key}], protcols: [TLSv1.3]}
                """)).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("lb.yaml:3:").contains("protcols"));
    }

    @Test
    void sniFallbackNeedsSniRoutes() throws Exception {
        assertThat(parse("""
                listen: [127.0.0.1:8000]
                backends: [127.0.0.1:9001]
                sni_fallback: close
                """)).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("lb.yaml:3:").contains("only with 'sni_routes'"));
    }

    @Test
    void reportsEveryMistakeWithItsPlace() throws Exception {
        LbConfig c = parse("""
                listen: [127.0.0.1:8000]
                groups:
                  main: [{address: 127.0.0.1:9001, wieght: 2}, "nohost", {address: 127.0.0.1:9002, state: off}]
                scheduler: roundrobbin
                retries: many
                timeouts: {connect: soon}
                proxy_protocol: v3
                helth: tcp
                splice: always
                """);

        assertThat(c).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("lb.yaml:3:").contains("unknown key 'wieght'")
                        .contains("did you mean 'weight'"))
                .anySatisfy(m -> assertThat(m).contains("lb.yaml:3:").contains("nohost"))
                .anySatisfy(m -> assertThat(m).contains("lb.yaml:3:").contains("'off'").contains("draining"))
                .anySatisfy(m -> assertThat(m).contains("lb.yaml:4:").contains("roundrobbin"))
                .anySatisfy(m -> assertThat(m).contains("lb.yaml:5:").contains("'many'"))
                .anySatisfy(m -> assertThat(m).contains("lb.yaml:6:").contains("soon"))
                .anySatisfy(m -> assertThat(m).contains("lb.yaml:7:").contains("v3"))
                .anySatisfy(m -> assertThat(m).contains("lb.yaml:8:").contains("unknown key 'helth'"))
                .anySatisfy(m -> assertThat(m).contains("lb.yaml:9:").contains("'always'").contains("auto"));
    }

    @Test
    void reportsAMissingActiveGroupAndMissingHosts() throws Exception {
        assertThat(parse("""
                listen: [127.0.0.1:8000]
                groups: {main: [127.0.0.1:9001]}
                active_group: blue
                """)).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("active group 'blue'"));

        assertThat(parse("listen: [127.0.0.1:8000]\n")).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("needs 'groups'"));
    }

    @Test
    void readsUdpServicesAndTrustedProxies() throws Exception {
        LbConfig udp = parse("""
                listen: [0.0.0.0:5353]
                backends: [10.0.0.1:53, 10.0.0.2:53]
                protocol: udp
                health: {type: tcp, port: 53}
                udp: {session_timeout: 30s, max_sessions: 500}
                """);
        assertThat(messages()).isEmpty();
        assertThat(udp.protocol()).isEqualTo(LbProtocol.UDP);
        assertThat(udp.udp()).isEqualTo(new UdpSettings(Duration.ofSeconds(30), 500));
        assertThat(udp.health().port()).isEqualTo(53);

        LbConfig tcp = parse("""
                listen: [0.0.0.0:443]
                backends: [10.0.0.1:443]
                accept_proxy: [10.0.0.0/8, "192.168.1.5"]
                """);
        assertThat(messages()).isEmpty();
        assertThat(tcp.protocol()).isEqualTo(LbProtocol.TCP);
        assertThat(tcp.udp()).isEqualTo(UdpSettings.DEFAULTS);
        assertThat(tcp.acceptProxy().ranges()).containsExactly("10.0.0.0/8", "192.168.1.5");
        assertThat(tcp.acceptProxy().trusts(new java.net.InetSocketAddress("10.20.30.40", 1))).isTrue();
        assertThat(tcp.acceptProxy().trusts(new java.net.InetSocketAddress("192.168.1.6", 1))).isFalse();
        assertThat(tcp.toBuilder().build()).isEqualTo(tcp);
    }

    @Test
    void refusesBadUdpAndProxySettings() throws Exception {
        assertThat(parse("""
                listen: [0.0.0.0:53]
                backends: [10.0.0.1:53]
                protocol: udb
                udp: {session_timeout: 0s, max_sessions: 0}
                accept_proxy: [10.0.0.0/33]
                """)).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("udb").contains("did you mean 'udp'"))
                .anySatisfy(m -> assertThat(m).contains("max_sessions"))
                .anySatisfy(m -> assertThat(m).contains("10.0.0.0/33"));

        assertThat(parse("""
                listen: [0.0.0.0:53]
                backends: [10.0.0.1:53]
                protocol: udp
                proxy_protocol: v2
                """)).isNull();
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("for TCP services only"));
    }
}
