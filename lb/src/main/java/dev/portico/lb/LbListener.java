package dev.portico.lb;

import dev.portico.core.net.HostPort;
import dev.portico.core.transport.ListenAddresses;
import dev.portico.core.transport.TcpListener;

import java.net.InetSocketAddress;

/** One listening address of an lb service, TCP or UDP, with one socket per event loop where the transport allows. */
interface LbListener extends AutoCloseable {

    /** The address as configured. */
    HostPort requested();

    /** The address actually bound (the real port when 0 was asked for). */
    InetSocketAddress localAddress();

    /** The number of sockets behind this address. */
    int sockets();

    /** {@code tcp} or {@code udp}, for endpoint URLs. */
    String scheme();

    /** Whether the native engine ({@link NativeTcpListener}) serves it, not Netty. */
    default boolean nativeEngine() {
        return false;
    }

    /** Stops receiving; what was accepted before is left alone. */
    @Override
    void close();

    /** Wraps a TCP listener. */
    static LbListener tcp(TcpListener l) {
        return new LbListener() {
            @Override
            public HostPort requested() {
                return l.requested();
            }

            @Override
            public InetSocketAddress localAddress() {
                return l.localAddress();
            }

            @Override
            public int sockets() {
                return l.sockets();
            }

            @Override
            public String scheme() {
                return "tcp";
            }

            @Override
            public void close() {
                l.close();
            }
        };
    }

    /** Wraps a listener so that closing it also releases its {@code claim} on the address. */
    static LbListener claimed(LbListener l, ListenAddresses.Claim claim) {
        return new LbListener() {
            @Override
            public HostPort requested() {
                return l.requested();
            }

            @Override
            public InetSocketAddress localAddress() {
                return l.localAddress();
            }

            @Override
            public int sockets() {
                return l.sockets();
            }

            @Override
            public String scheme() {
                return l.scheme();
            }

            @Override
            public boolean nativeEngine() {
                return l.nativeEngine();
            }

            @Override
            public void close() {
                l.close();
                claim.close();
            }
        };
    }
}
