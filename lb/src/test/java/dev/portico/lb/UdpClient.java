package dev.portico.lb;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** A test client: one UDP socket, so one client address and one session at the balancer. */
final class UdpClient implements AutoCloseable {

    private final DatagramSocket socket;
    private final InetSocketAddress target;

    UdpClient(int port) throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(TestBackend.LOOPBACK, 0));
        socket.setSoTimeout(5_000);
        target = new InetSocketAddress(TestBackend.LOOPBACK, port);
    }

    void send(String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        socket.send(new DatagramPacket(b, b.length, target));
    }

    /** Waits for one datagram (5 s at most) and returns its text. */
    String receive() throws IOException {
        byte[] buf = new byte[65_535];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        socket.receive(p);
        if (!p.getSocketAddress().equals(target)) {
            throw new IOException("reply came from " + p.getSocketAddress() + ", not " + target);
        }
        return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
    }

    /** Sends and returns the reply: {@code backend:text}. */
    String exchange(String text) throws IOException {
        send(text);
        return receive();
    }

    @Override
    public void close() {
        socket.close();
    }
}
