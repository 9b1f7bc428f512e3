package dev.portico.lb;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class's services on the Netty engine (what the NIO transport and
 * {@code -Dportico.lb.engine=netty} use), for subclasses that repeat the native engine's tests.
 */
final class NettyEngine implements BeforeAllCallback, AfterAllCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        System.setProperty("portico.lb.engine", "netty");
    }

    @Override
    public void afterAll(ExtensionContext context) {
        System.clearProperty("portico.lb.engine");
    }
}
