package dev.portico.dns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** A TCP port on a loopback address that accepts and closes connections, and can be stopped and restarted. */
final class TcpBackend implements AutoCloseable {

    private final InetAddress address;
    private int port;
    private volatile ServerSocket socket;

    TcpBackend(String address) throws IOException {
        this.address = InetAddress.getByName(address);
        start();
    }

    String spec() {
        return address.getHostAddress() + ":" + port;
    }

    String ip() {
        return address.getHostAddress();
    }

    void start() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(address, port));
        port = s.getLocalPort();
        socket = s;
        Thread.ofVirtual().start(() -> {
            while (!s.isClosed()) {
                try (Socket c = s.accept()) {
                    c.getInputStream().available();
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    void stop() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
