package dev.portico.core.transport;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real datagrams through a batched socket on loopback, IPv4 and IPv6. */
@Timeout(30)
class BatchedUdpSocketTest {

    @BeforeEach
    void linuxOnly() {
        assumeTrue(BatchedUdpSocket.available(), "batched sockets need Linux on x86-64 or aarch64");
    }

    /** Receives whatever is queued and answers each datagram with its text upper-cased. */
    private static int echoUpper(BatchedUdpSocket socket, BatchedUdpSocket.Batch batch) throws IOException {
        int n = socket.receive(batch);
        for (int i = 0; i < n; i++) {
            int len = batch.length(i);
            String text = new String(batch.receiveBuffer(i).asSlice(0, len).toArray(ValueLayout.JAVA_BYTE),
                    StandardCharsets.US_ASCII);
            byte[] reply = text.toUpperCase().getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(reply, 0, batch.sendBuffer(i), ValueLayout.JAVA_BYTE, 0, reply.length);
            batch.reply(i, reply.length);
        }
        socket.send(batch);
        return n;
    }

    @Test
    void aBurstIsReceivedInBatchesAndEachSenderGetsItsOwnReply() throws Exception {
        BatchedUdpSocket socket = BatchedUdpSocket.bind(new InetSocketAddress("127.0.0.1", 0), false, 1 << 20, 200);
        try (DatagramSocket a = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
             DatagramSocket b = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            assertThat(socket.localAddress().getPort()).isPositive();
            BatchedUdpSocket.Batch batch = socket.newBatch(8, 512, 512);
            for (int i = 0; i < 10; i++) {
                DatagramSocket from = i % 2 == 0 ? a : b;
                byte[] q = ("q" + i + "-" + from.getLocalPort()).getBytes(StandardCharsets.US_ASCII);
                from.send(new DatagramPacket(q, q.length, socket.localAddress()));
            }
            int total = 0;
            int largest = 0;
            while (total < 10) {
                int n = echoUpper(socket, batch);
                if (n > 0) {
                    assertThat(batch.sender(0).getAddress()).isEqualTo(InetAddress.getByName("127.0.0.1"));
                }
                largest = Math.max(largest, n);
                total += n;
            }
            assertThat(largest).isGreaterThan(1).isLessThanOrEqualTo(8);
            for (DatagramSocket s : new DatagramSocket[] {a, b}) {
                s.setSoTimeout(3000);
                Set<String> got = new HashSet<>();
                for (int i = 0; i < 5; i++) {
                    DatagramPacket in = new DatagramPacket(new byte[512], 512);
                    s.receive(in);
                    got.add(new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII));
                }
                assertThat(got).hasSize(5).allMatch(r -> r.endsWith("-" + s.getLocalPort()) && r.startsWith("Q"));
            }
        } finally {
            socket.release();
        }
    }

    @Test
    void ipv6LoopbackWorks() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        BatchedUdpSocket socket;
        try {
            socket = BatchedUdpSocket.bind(new InetSocketAddress(v6, 0), false, 0, 200);
        } catch (IOException e) {
            assumeTrue(false, "no IPv6 loopback here: " + e.getMessage());
            return;
        }
        try (DatagramSocket c = new DatagramSocket(new InetSocketAddress(v6, 0))) {
            c.setSoTimeout(3000);
            byte[] q = "ping".getBytes(StandardCharsets.US_ASCII);
            c.send(new DatagramPacket(q, q.length, socket.localAddress()));
            BatchedUdpSocket.Batch batch = socket.newBatch(4, 64, 64);
            int n = 0;
            while (n == 0) {
                n = echoUpper(socket, batch);
            }
            assertThat(batch.sender(0)).isEqualTo(new InetSocketAddress(v6, c.getLocalPort()));
            DatagramPacket in = new DatagramPacket(new byte[64], 64);
            c.receive(in);
            assertThat(new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII)).isEqualTo("PING");
        } finally {
            socket.release();
        }
    }

    @Test
    void aDatagramLongerThanTheSlotIsCutAndFlagged() throws Exception {
        BatchedUdpSocket socket = BatchedUdpSocket.bind(new InetSocketAddress("127.0.0.1", 0), false, 0, 200);
        try (DatagramSocket c = new DatagramSocket()) {
            byte[] q = new byte[300];
            c.send(new DatagramPacket(q, q.length, socket.localAddress()));
            BatchedUdpSocket.Batch batch = socket.newBatch(2, 100, 100);
            int n = 0;
            while (n == 0) {
                n = socket.receive(batch);
            }
            assertThat(batch.length(0)).isEqualTo(100);
            assertThat(batch.truncated(0)).isTrue();
        } finally {
            socket.release();
        }
    }

    @Test
    void twoSocketsShareAPortWithReusePortAndAThirdWithoutIsRefused() throws Exception {
        BatchedUdpSocket first = BatchedUdpSocket.bind(new InetSocketAddress("127.0.0.1", 0), true, 0, 200);
        try {
            BatchedUdpSocket second = BatchedUdpSocket.bind(first.localAddress(), true, 0, 200);
            second.release();
            assertThatThrownBy(() -> BatchedUdpSocket.bind(first.localAddress(), false, 0, 200))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot listen on udp")
                    .hasMessageContaining("errno");
        } finally {
            first.release();
        }
    }

    @Test
    void closeWakesAReceiverAndLaterCallsFail() throws Exception {
        // A long receive timeout: only the close can end the wait in time.
        BatchedUdpSocket socket = BatchedUdpSocket.bind(new InetSocketAddress("127.0.0.1", 0), false, 0, 20_000);
        BatchedUdpSocket.Batch batch = socket.newBatch(2, 64, 64);
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        Thread receiver = Thread.ofPlatform().start(() -> {
            try {
                while (true) {
                    socket.receive(batch);
                }
            } catch (IOException e) {
                result.complete(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> Arrays.stream(receiver.getStackTrace())
                .anyMatch(f -> f.getMethodName().equals("receive")));
        socket.close();
        assertThat(result.get(5, TimeUnit.SECONDS)).hasMessageContaining("closed");
        receiver.join(5000);
        socket.release();
    }

    /**
     * A batch's data areas are mapped, not zeroed: 32 slots of 64 KiB take no resident memory until
     * written, and an answered datagram takes the pages it wrote.
     */
    @Test
    void aBatchsLargeDataAreasTakeNoMemoryUntilWritten() throws Exception {
        BatchedUdpSocket socket = BatchedUdpSocket.bind(new InetSocketAddress("127.0.0.1", 0), false, 0, 200);
        try (DatagramSocket c = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            c.setSoTimeout(3000);
            BatchedUdpSocket.Batch batch = socket.newBatch(32, 2048, 65_535);
            long send = batch.sendBuffer(0).address();
            assertThat(residentKib(send)).isZero();
            byte[] q = "hello".getBytes(StandardCharsets.US_ASCII);
            c.send(new DatagramPacket(q, q.length, socket.localAddress()));
            int n = 0;
            while (n == 0) {
                n = echoUpper(socket, batch);
            }
            DatagramPacket in = new DatagramPacket(new byte[64], 64);
            c.receive(in);
            assertThat(new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII)).isEqualTo("HELLO");
            // One page written of 2 MiB (the kernel may fault in a few around it).
            assertThat(residentKib(send)).isPositive().isLessThanOrEqualTo(64);
        } finally {
            socket.release();
        }
    }

    /** The resident KiB of the mapping that holds {@code address}, from /proc/self/smaps. */
    private static long residentKib(long address) throws IOException {
        boolean inside = false;
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/smaps"))) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                String[] range = line.substring(0, line.indexOf(' ')).split("-");
                inside = Long.parseUnsignedLong(range[0], 16) <= address && address < Long.parseUnsignedLong(range[1], 16);
            } else if (inside && line.startsWith("Rss:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no mapping holds " + Long.toHexString(address));
    }
}
