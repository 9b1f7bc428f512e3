package dev.portico.upstream.health;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HealthCheckConfigTest {

    @Test
    void quickStartFormsParse() {
        assertThat(HealthCheckConfig.parse("tcp").type()).isEqualTo(HealthCheckType.TCP);
        assertThat(HealthCheckConfig.parse("ICMP").type()).isEqualTo(HealthCheckType.ICMP);
        assertThat(HealthCheckConfig.parse("none").type()).isEqualTo(HealthCheckType.NONE);
        HealthCheckConfig http = HealthCheckConfig.parse("http");
        assertThat(http.type()).isEqualTo(HealthCheckType.HTTP);
        assertThat(http.path()).isEqualTo("/");
        HealthCheckConfig withPath = HealthCheckConfig.parse(" http:/healthz?full=1 ");
        assertThat(withPath.path()).isEqualTo("/healthz?full=1");
        HealthCheckConfig https = HealthCheckConfig.parse("https:/ready");
        assertThat(https.type()).isEqualTo(HealthCheckType.HTTPS);
        assertThat(https.path()).isEqualTo("/ready");
        assertThat(https.toString()).startsWith("https:/ready expect 2xx,3xx");
        assertThat(HealthCheckSection.write(https)).isEqualTo("https:/ready");
    }

    @Test
    void defaultsFollowTheDocumentedTable() {
        HealthCheckConfig c = HealthCheckConfig.parse("http:/health");
        assertThat(c.interval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.rise()).isEqualTo(2);
        assertThat(c.fall()).isEqualTo(3);
        assertThat(c.downInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.allDownInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.expect()).isEqualTo(StatusExpectation.DEFAULT);
        assertThat(c.bodyContains()).isEmpty();
        assertThat(c.hostHeader()).isEmpty();
        assertThat(c.port()).isZero();
        assertThat(c).hasToString("http:/health expect 2xx,3xx every 2s (down 1s, all down 500ms), timeout 1s, "
                + "rise 2, fall 3");
    }

    @Test
    void badQuickStartFormsExplainTheValidOnes() {
        assertThatThrownBy(() -> HealthCheckConfig.parse("smtp"))
                .hasMessageContaining("\"smtp\"").hasMessageContaining("none, tcp, icmp, http, http:/path, https or https:/path");
        assertThatThrownBy(() -> HealthCheckConfig.parse("tcp:/x")).hasMessageContaining("only http and https take a path");
        assertThatThrownBy(() -> HealthCheckConfig.parse("http:health")).hasMessageContaining("starts with /");
    }

    @Test
    void builderValidatesAndRoundTrips() {
        HealthCheckConfig c = HealthCheckConfig.builder(HealthCheckType.HTTP).path("/ping").expect("200-204")
                .bodyContains("pong").hostHeader("svc.local").port(9000).interval(Duration.ofSeconds(5))
                .timeout(Duration.ofMillis(300)).rise(1).fall(2).downInterval(Duration.ofMillis(700))
                .allDownInterval(Duration.ofMillis(100)).build();
        assertThat(c.toBuilder().build()).isEqualTo(c);
        assertThat(c.toString()).contains("port 9000", "300ms", "700ms");
        assertThatThrownBy(() -> c.toBuilder().rise(0).build()).hasMessageContaining("rise: 0 (expected: >= 1)");
        assertThatThrownBy(() -> c.toBuilder().fall(0).build()).hasMessageContaining("fall: 0");
        assertThatThrownBy(() -> c.toBuilder().timeout(Duration.ZERO).build()).hasMessageContaining("timeout");
        assertThatThrownBy(() -> c.toBuilder().interval(Duration.ofSeconds(-1)).build()).hasMessageContaining("interval");
        assertThatThrownBy(() -> c.toBuilder().port(70_000).build()).hasMessageContaining("0-65535");
    }

    @Test
    void typeNamesAreLowerCase() {
        assertThat(HealthCheckType.HTTP).hasToString("http");
        assertThatThrownBy(() -> HealthCheckType.parse("udp")).hasMessageContaining("none, tcp, http, https, icmp");
    }
}
