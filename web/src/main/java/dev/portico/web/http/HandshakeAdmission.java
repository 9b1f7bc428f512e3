package dev.portico.web.http;

import dev.portico.core.tls.TlsFrontDoor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Lets TLS connections in their handshake count toward a service's {@code max_connections}: a
 * new one is admitted only while handshakes under way plus open connections stay within the
 * limit. Without it a client could hold any number of sockets open by never finishing its
 * handshake. Once the handshake is over the place is given back and the HTTP/1.1 or HTTP/2
 * connection counts itself.
 */
public final class HandshakeAdmission implements TlsFrontDoor.Admission {

    private final AtomicInteger handshaking = new AtomicInteger();
    private final Supplier<HttpContext> http;

    /** @param http the service's HTTP context in force: its open connections and their limit */
    public HandshakeAdmission(Supplier<HttpContext> http) {
        this.http = http;
    }

    @Override
    public boolean tryAcquire() {
        HttpContext c = http.get();
        int n = handshaking.incrementAndGet();
        if (n + c.connections().get() > c.options().maxConnections()) {
            handshaking.decrementAndGet();
            return false;
        }
        return true;
    }

    @Override
    public void release() {
        handshaking.decrementAndGet();
    }

    /** Connections in their handshake now. */
    public int handshaking() {
        return handshaking.get();
    }
}
