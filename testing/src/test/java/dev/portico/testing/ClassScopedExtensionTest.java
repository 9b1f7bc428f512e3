package dev.portico.testing;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A static extension keeps its services across the tests of a class. */
@Timeout(30)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClassScopedExtensionTest {

    @RegisterExtension
    static final PorticoExtension PORTICO = new PorticoExtension();

    private static int port;

    @Test
    @Order(1)
    void startsOnce() throws Exception {
        port = PORTICO.start(new EchoServiceType(), "shared", EchoConfig.loopback("s ")).port();
        assertThat(LineClient.ask(port, "one", Duration.ofSeconds(5))).isEqualTo("s one");
    }

    @Test
    @Order(2)
    void isStillRunningInTheNextTest() throws Exception {
        assertThat(port).isPositive();
        assertThat(LineClient.ask(port, "two", Duration.ofSeconds(5))).isEqualTo("s two");
    }
}
