package dev.portico.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Many client connections that send nothing, as a flood of idle clients would: connects them,
 * then tells which ones the server closed, and with what first bytes. Reads never block, so
 * polling it (with Awaitility) does not wait on the connections the server keeps open.
 */
public final class IdleFlood implements AutoCloseable {

    private final List<SocketChannel> open = new ArrayList<>();
    private final List<String> closedWith = new ArrayList<>();

    private IdleFlood() {
    }

    /** Connects {@code n} idle clients to 127.0.0.1:{@code port}, one after the other. */
    public static IdleFlood connect(int port, int n) throws IOException {
        IdleFlood f = new IdleFlood();
        try {
            for (int i = 0; i < n; i++) {
                f.add(port);
            }
        } catch (IOException e) {
            f.close();
            throw e;
        }
        return f;
    }

    /** Connects one more idle client. */
    public void add(int port) throws IOException {
        SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
        c.configureBlocking(false);
        open.add(c);
    }

    /**
     * Reads what the server sent to each open connection without waiting. Connections the server
     * closed are closed here too and remembered with the text of their first read (empty when
     * none came before the close).
     *
     * @return how many the server has closed so far
     */
    public int closedByServer() throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1024);
        for (var it = open.iterator(); it.hasNext(); ) {
            SocketChannel c = it.next();
            buf.clear();
            int n;
            try {
                n = c.read(buf);
            } catch (IOException reset) {
                n = -1;
            }
            if (n != 0) {
                // Data or end of stream: the server answers and closes the connections it refuses.
                closedWith.add(n > 0 ? new String(buf.array(), 0, n, StandardCharsets.ISO_8859_1) : "");
                c.close();
                it.remove();
            }
        }
        return closedWith.size();
    }

    /** The first bytes of each connection the server closed, in the order they were seen. */
    public List<String> closedWith() {
        return List.copyOf(closedWith);
    }

    /** Connections still open. */
    public int stillOpen() {
        return open.size();
    }

    /** Closes the oldest still-open connection. */
    public void closeOne() throws IOException {
        open.removeFirst().close();
    }

    @Override
    public void close() throws IOException {
        for (SocketChannel c : open) {
            c.close();
        }
        open.clear();
    }
}
