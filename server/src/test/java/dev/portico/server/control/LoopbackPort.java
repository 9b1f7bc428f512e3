package dev.portico.server.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** A TCP port on a loopback address that accepts and closes connections (a health check's target). */
public final class LoopbackPort implements AutoCloseable {

    private final ServerSocket socket;

    public LoopbackPort(String ip) throws IOException {
        socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getByName(ip), 0));
        Thread.ofVirtual().start(() -> {
            while (!socket.isClosed()) {
                try (Socket c = socket.accept()) {
                    c.getInputStream().available();
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    /** The IP, as answered in DNS. */
    public String ip() {
        return socket.getInetAddress().getHostAddress();
    }

    /** {@code ip:port}. */
    public String address() {
        return ip() + ":" + socket.getLocalPort();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
