package dev.portico.lb;

import org.junit.jupiter.api.extension.ExtendWith;

/** The SNI routing tests on the Netty engine, which serves the NIO transport and {@code -Dportico.lb.engine=netty}. */
@ExtendWith(NettyEngine.class)
class SniRoutingNettyTest extends SniRoutingTest {
}
