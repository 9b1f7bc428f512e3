package dev.portico.testing;

import dev.portico.core.config.ConfigException;
import dev.portico.core.lifecycle.Reconfigurable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class PorticoExtensionTest {

    private static final Duration IO = Duration.ofSeconds(5);

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    @Test
    void startsAServiceOnAFreeLoopbackPort() throws Exception {
        RunningService echo = portico.start(new EchoServiceType(), "echo", EchoConfig.loopback("> "));

        assertThat(echo.port()).isPositive();
        assertThat(echo.address().getHostString()).isEqualTo("127.0.0.1");
        assertThat(echo.uri("/x").toString()).isEqualTo("http://127.0.0.1:" + echo.port() + "/x");
        assertThat(LineClient.ask(echo.port(), "hello", IO)).isEqualTo("> hello");
    }

    @Test
    void contextHasLoopsMetricsAndABlockingExecutor() throws Exception {
        var ctx = portico.context();
        int loops = 0;
        for (var ignored : ctx.workers()) {
            loops++;
        }
        assertThat(loops).isEqualTo(2);
        assertThat(ctx.blocking().submit(() -> 42).get()).isEqualTo(42);
        ctx.meters().counter("test_things").increment();
        assertThat(portico.metrics().scrape()).contains("test_things_total 1.0");
    }

    @Test
    void reconfigurableEchoChangesItsPrefixLive() throws Exception {
        RunningService echo = portico.start(new EchoServiceType(), "echo", EchoConfig.loopback("a: "));
        try (LineClient c = LineClient.connect(echo.port(), IO)) {
            assertThat(c.ask("1")).isEqualTo("a: 1");
            @SuppressWarnings("unchecked")
            Reconfigurable<EchoConfig> r = (Reconfigurable<EchoConfig>) echo.service();
            r.reconfigure(new EchoConfig(((EchoService) echo.service()).config().listen(), "b: "));
            assertThat(c.ask("2")).isEqualTo("b: 2");
        }
    }

    @Test
    void staticEchoIsNotReconfigurable() throws Exception {
        RunningService echo = portico.start(new EchoServiceType(false), "plain", EchoConfig.loopback(""));
        assertThat(echo.service()).isNotInstanceOf(Reconfigurable.class);
        assertThat(echo.service().type()).isEqualTo("static-echo");
    }

    @Test
    void stoppedServiceRefusesConnections() throws Exception {
        RunningService echo = portico.start(new EchoServiceType(), "echo", EchoConfig.loopback(""));
        int port = echo.port();
        echo.service().stop(Duration.ofMillis(100));
        assertThatThrownBy(() -> LineClient.ask(port, "x", IO)).isInstanceOf(ConnectException.class);
    }

    @Test
    void stopClosesOpenConnectionsAfterTheGrace() throws Exception {
        RunningService echo = portico.start(new EchoServiceType(), "echo", EchoConfig.loopback(""));
        try (LineClient c = LineClient.connect(echo.port(), IO)) {
            assertThat(c.ask("x")).isEqualTo("x");
            echo.service().stop(Duration.ofMillis(50));
            String reply;
            try {
                reply = c.ask("y");
            } catch (IOException e) {
                reply = null;
            }
            assertThat(reply).isNull();
        }
    }

    @Test
    void parsesASectionLikeTheConfigReader() throws Exception {
        EchoConfig c = PorticoExtension.parse(new EchoServiceType(), "e", "listen: 127.0.0.1:7001\nprefix: '>'\n");
        assertThat(c.listen().port()).isEqualTo(7001);
        assertThat(c.prefix()).isEqualTo(">");
    }

    @Test
    void parseReportsUnknownKeysAndBadValuesWithLocations() {
        assertThatThrownBy(() -> PorticoExtension.parse(new EchoServiceType(), "e", "listen: nowhere:x\nprefx: a\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("e.yaml:1:9: bad 'services.e.listen'")
                .hasMessageContaining("e.yaml:2:1: unknown key 'prefx' in 'services.e'; did you mean 'prefix'?");
    }
}
