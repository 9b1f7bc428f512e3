package dev.portico.dns;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that finds the TCP port open gets its UDP queries answered: UDP is bound before TCP
 * listens. The client connects over TCP in a tight loop while the service starts, and asks over
 * UDP the moment the connect succeeds; the service is started and stopped several times.
 */
@Timeout(120)
class StartupOrderTest {

    private static final int ROUNDS = 15;

    @TempDir
    Path dir;

    @Test
    void udpAnswersOnceTcpAccepts() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        byte[] query = Message.newQuery(Record.newRecord(Name.fromString("www.example.test."), Type.A, DClass.IN)).toWire();
        for (int round = 0; round < ROUNDS; round++) {
            int port = freePort();
            DnsConfig config = DnsConfig.builder().listen("127.0.0.1:" + port)
                    .zone("example.test", DnsFixture.copyZone(dir, "example.test")).build();
            CompletableFuture<EmbeddedDns> started = CompletableFuture.supplyAsync(() -> {
                try {
                    return EmbeddedDns.start(config, 2);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try {
                while (!tcpAccepts(new InetSocketAddress(lo, port))) {
                    assertThat(started.isCompletedExceptionally()).as("the service failed to start").isFalse();
                }
                try (DatagramSocket udp = new DatagramSocket()) {
                    udp.connect(lo, port);
                    udp.setSoTimeout(5000);
                    udp.send(new DatagramPacket(query, query.length));
                    DatagramPacket reply = new DatagramPacket(new byte[512], 512);
                    try {
                        udp.receive(reply);
                    } catch (SocketException e) {
                        throw new AssertionError("round " + round + ": TCP accepted but UDP said " + e, e);
                    }
                    assertThat(new Message(reply.getData()).getRcode()).isEqualTo(Rcode.NOERROR);
                }
            } finally {
                started.join().close();
            }
        }
    }

    private static boolean tcpAccepts(InetSocketAddress at) {
        try (Socket s = new Socket()) {
            s.connect(at, 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A port free for both UDP and TCP on 127.0.0.1 right now. */
    private static int freePort() throws IOException {
        for (int attempt = 0; ; attempt++) {
            try (ServerSocket tcp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int port = tcp.getLocalPort();
                try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                    return udp.getLocalPort();
                } catch (IOException e) {
                    if (attempt >= 20) {
                        throw e;
                    }
                }
            }
        }
    }
}
