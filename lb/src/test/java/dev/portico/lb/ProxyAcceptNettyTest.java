package dev.portico.lb;

import org.junit.jupiter.api.extension.ExtendWith;

/** The same PROXY header tests on the Netty engine. */
@ExtendWith(NettyEngine.class)
class ProxyAcceptNettyTest extends ProxyAcceptTest {
}
