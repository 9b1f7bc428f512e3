package dev.portico.lb;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The same tests on the Netty engine, which serves services with {@code accept_proxy}, the NIO
 * transport, and {@code -Dportico.lb.engine=netty}.
 */
class LbDataPathNettyTest extends LbDataPathTest {

    @BeforeAll
    static void useNetty() {
        System.setProperty("portico.lb.engine", "netty");
    }

    @AfterAll
    static void back() {
        System.clearProperty("portico.lb.engine");
    }
}
