package dev.portico.dns;

import dev.portico.core.transport.BatchedUdpSocket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * One thread serving one {@link BatchedUdpSocket}: it takes up to a batch of queries in one
 * {@code recvmmsg}, answers each straight into the batch's send buffer for its slot, and sends
 * the answers in one {@code sendmmsg}. Each answer passes the service's response rate limit
 * ({@link Rrl}) first. No object is made per query on a cache hit beyond the parsed query itself.
 */
final class BatchedUdpLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(BatchedUdpLoop.class);

    /** Queries per system call. */
    static final int BATCH = 32;
    /** How long a receive waits before it looks whether the loop was closed. */
    private static final int RECEIVE_TIMEOUT_MS = 250;
    private static final int SOCKET_BUFFER = 4 << 20;

    private final BatchedUdpSocket socket;
    private final QueryProcessor processor;
    private final Supplier<Rrl> rrl;
    private final byte[] source = new byte[16];
    private final BatchedUdpSocket.Batch batch;
    private final ByteBuf[] queries;
    private final Slot[] slots;
    private final Thread thread;
    private volatile boolean closed;

    private BatchedUdpLoop(BatchedUdpSocket socket, QueryProcessor processor, Supplier<Rrl> rrl, String name) {
        this.socket = socket;
        this.processor = processor;
        this.rrl = rrl;
        this.batch = socket.newBatch(BATCH, DnsListener.MAX_UDP_QUERY, QueryProcessor.TCP_LIMIT);
        this.queries = new ByteBuf[BATCH];
        this.slots = new Slot[BATCH];
        for (int i = 0; i < BATCH; i++) {
            queries[i] = Unpooled.wrappedBuffer(batch.receiveBuffer(i).asByteBuffer());
            slots[i] = new Slot(i, Unpooled.wrappedBuffer(batch.sendBuffer(i).asByteBuffer()));
        }
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this);
    }

    /**
     * Binds a socket and starts its thread.
     *
     * @param address   where to bind
     * @param reusePort whether other sockets share the port
     * @param processor what answers the queries
     * @param rrl       the rate limit answers pass before they are sent (read per answer; null when off)
     * @return the running loop
     * @throws IOException when the socket cannot be bound
     */
    static BatchedUdpLoop start(InetSocketAddress address, boolean reusePort, QueryProcessor processor,
                                Supplier<Rrl> rrl, int index) throws IOException {
        BatchedUdpSocket socket = BatchedUdpSocket.bind(address, reusePort, SOCKET_BUFFER, RECEIVE_TIMEOUT_MS);
        BatchedUdpLoop loop;
        try {
            loop = new BatchedUdpLoop(socket, processor, rrl,
                    "portico-dns-udp-" + socket.localAddress().getPort() + "-" + index);
        } catch (RuntimeException e) {
            socket.release();
            throw e;
        }
        loop.thread.start();
        return loop;
    }

    /** The address bound. */
    InetSocketAddress localAddress() {
        return socket.localAddress();
    }

    @Override
    public void run() {
        while (!closed) {
            int n;
            try {
                n = socket.receive(batch);
            } catch (IOException e) {
                if (!closed) {
                    log.warn("dns udp socket {} failed, it stops answering: {}", socket.localAddress(), e.getMessage());
                }
                return;
            }
            Rrl limit = n > 0 ? rrl.get() : null;
            long second = limit != null ? limit.second() : 0;
            for (int i = 0; i < n; i++) {
                answer(i, limit, second);
            }
            if (n > 0) {
                try {
                    socket.send(batch);
                } catch (IOException e) {
                    if (!closed) {
                        log.warn("dns udp socket {} failed, it stops answering: {}", socket.localAddress(), e.getMessage());
                    }
                    return;
                }
            }
        }
    }

    /** Answers slot {@code i}; the answer passes {@code limit} (null when off) at {@code second}. */
    private void answer(int i, Rrl limit, long second) {
        ByteBuf query = queries[i].setIndex(0, batch.length(i));
        Slot slot = slots[i];
        ByteBuf reply = processor.process(query, true, slot, slot);
        if (reply == slot.out && reply.readableBytes() > 0) {
            if (limit != null && limit.check(source, batch.senderAddress(i, source), reply, second) == Rrl.Action.DROP) {
                return;
            }
            batch.reply(i, reply.writerIndex());
        }
    }

    /** Stops the thread and frees the socket and its buffers. */
    void close() {
        closed = true;
        socket.close();
        try {
            thread.join(RECEIVE_TIMEOUT_MS * 8L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) {
            socket.release();
        }
    }

    /** A slot's reply buffer and the lazy address of its sender. */
    private final class Slot implements IntFunction<ByteBuf>, Supplier<InetAddress> {
        private final int index;
        private final ByteBuf out;

        Slot(int index, ByteBuf out) {
            this.index = index;
            this.out = out;
        }

        @Override
        public ByteBuf apply(int size) {
            return out.clear();
        }

        @Override
        public InetAddress get() {
            InetSocketAddress sender = batch.sender(index);
            return sender == null ? null : sender.getAddress();
        }
    }
}
