package dev.portico.lb;

import dev.portico.core.net.HostPort;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A UDP echo backend on 127.0.0.1 with plain JDK sockets: it answers each datagram with
 * {@code name:payload} to its sender. It can also listen on TCP on the same port number, so a
 * TCP health check of the backend's own port sees it up; without that, the check sees it down.
 */
final class UdpEchoBackend implements AutoCloseable {

    final String name;
    final AtomicInteger received = new AtomicInteger();
    /** The source addresses (the balancer's upstream sockets) datagrams came from. */
    final Set<InetSocketAddress> sources = ConcurrentHashMap.newKeySet();
    private final DatagramSocket socket;
    private final ServerSocket health;
    private final int port;

    private UdpEchoBackend(String name, boolean tcpHealth) throws IOException {
        this.name = name;
        // The UDP port is free, but the same TCP port may be taken: try other ports then.
        DatagramSocket udp = null;
        ServerSocket tcp = null;
        for (int attempt = 0; tcp == null && tcpHealth; attempt++) {
            udp = new DatagramSocket(new InetSocketAddress(TestBackend.LOOPBACK, 0));
            ServerSocket candidate = new ServerSocket();
            try {
                candidate.setReuseAddress(true);
                candidate.bind(new InetSocketAddress(TestBackend.LOOPBACK, udp.getLocalPort()), 50);
                tcp = candidate;
            } catch (IOException e) {
                candidate.close();
                udp.close();
                if (attempt == 20) {
                    throw e;
                }
            }
        }
        this.socket = udp != null ? udp : new DatagramSocket(new InetSocketAddress(TestBackend.LOOPBACK, 0));
        this.port = socket.getLocalPort();
        this.health = tcp;
        Thread.ofVirtual().name("udp-" + name).start(this::echoLoop);
        if (health != null) {
            Thread.ofVirtual().name("udp-health-" + name).start(this::acceptLoop);
        }
    }

    /** A backend answering UDP, with a TCP port for health checks when {@code tcpHealth}. */
    static UdpEchoBackend start(String name, boolean tcpHealth) throws IOException {
        return new UdpEchoBackend(name, tcpHealth);
    }

    String address() {
        return new HostPort(TestBackend.LOOPBACK.getHostAddress(), port).toString();
    }

    private void echoLoop() {
        byte[] buf = new byte[65_535];
        while (!socket.isClosed()) {
            DatagramPacket in = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(in);
                received.incrementAndGet();
                sources.add((InetSocketAddress) in.getSocketAddress());
                byte[] reply = (name + ":" + new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8))
                        .getBytes(StandardCharsets.UTF_8);
                socket.send(new DatagramPacket(reply, reply.length, in.getSocketAddress()));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void acceptLoop() {
        while (!health.isClosed()) {
            try (Socket s = health.accept()) {
                s.getOutputStream().flush();
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Stops answering on UDP (so the kernel answers ICMP port unreachable) and on TCP. */
    @Override
    public void close() throws IOException {
        socket.close();
        if (health != null) {
            health.close();
        }
    }
}
