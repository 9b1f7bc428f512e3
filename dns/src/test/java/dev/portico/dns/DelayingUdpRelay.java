package dev.portico.dns;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A UDP relay on loopback that stands for a network path: each datagram is held for the current
 * delay (on a scheduler, not the caller's thread), then sent on to the server from the one
 * "resolver" address, and the server's reply is passed back at once.
 */
final class DelayingUdpRelay implements AutoCloseable {

    private final DatagramSocket front;
    private final InetSocketAddress server;
    private final InetAddress resolverAddress;
    private final AtomicLong delayMs = new AtomicLong();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    /**
     * @param listen   where clients send to (port 0 picks one)
     * @param server   the DNS server behind the relay
     * @param resolver the source address the server sees
     */
    DelayingUdpRelay(InetSocketAddress listen, InetSocketAddress server, InetAddress resolver) throws IOException {
        this.front = new DatagramSocket(listen);
        this.server = server;
        this.resolverAddress = resolver;
        Thread.ofVirtual().start(this::receive);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) front.getLocalSocketAddress();
    }

    void delay(long ms) {
        delayMs.set(ms);
    }

    private void receive() {
        byte[] buf = new byte[4096];
        while (!front.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                front.receive(p);
            } catch (IOException e) {
                return;
            }
            byte[] query = Arrays.copyOf(p.getData(), p.getLength());
            SocketAddress client = p.getSocketAddress();
            scheduler.schedule(() -> Thread.ofVirtual().start(() -> forward(query, client)), delayMs.get(), TimeUnit.MILLISECONDS);
        }
    }

    private void forward(byte[] query, SocketAddress client) {
        try (DatagramSocket upstream = new DatagramSocket(new InetSocketAddress(resolverAddress, 0))) {
            upstream.setSoTimeout(3000);
            upstream.send(new DatagramPacket(query, query.length, server));
            byte[] buf = new byte[4096];
            DatagramPacket reply = new DatagramPacket(buf, buf.length);
            upstream.receive(reply);
            front.send(new DatagramPacket(reply.getData(), reply.getLength(), client));
        } catch (IOException e) {
            // the client times out and asks again
        }
    }

    @Override
    public void close() {
        front.close();
        scheduler.shutdownNow();
    }
}
