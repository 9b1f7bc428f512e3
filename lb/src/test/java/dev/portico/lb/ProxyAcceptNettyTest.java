package dev.portico.lb;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The same PROXY header tests on the Netty engine (NIO, or {@code -Dportico.lb.engine=netty}). */
class ProxyAcceptNettyTest extends ProxyAcceptTest {

    @BeforeAll
    static void useNetty() {
        System.setProperty("portico.lb.engine", "netty");
    }

    @AfterAll
    static void back() {
        System.clearProperty("portico.lb.engine");
    }
}
