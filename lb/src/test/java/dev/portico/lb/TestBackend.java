package dev.portico.lb;

import dev.portico.core.net.HostPort;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real TCP backend on 127.0.0.1 with plain blocking sockets on virtual threads, so the balancer
 * is tested against something that shares no code with it. It can stop listening and listen
 * again on the same port.
 */
final class TestBackend implements AutoCloseable {

    /** What the backend does with each connection. */
    enum Mode {
        /** Sends its name and a newline, echoes everything, and after the client's FIN sends "bye\n" and closes. */
        ECHO,
        /** Reads one byte, then resets the connection (SO_LINGER 0). */
        RESET,
        /** Closes every connection at once, before sending or reading a byte (a backend going away). */
        CLOSE,
        /** Waits for one byte (so health checks get nothing), sends {@link #sourceBytes} bytes of a known pattern, then closes. */
        SOURCE,
        /** Reads {@link #captureBytes} bytes, sends them back, then closes. */
        CAPTURE
    }

    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    final String name;
    final Mode mode;
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicLong written = new AtomicLong();
    volatile long sourceBytes;
    volatile int captureBytes;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket server;
    private Thread acceptor;
    private int port;

    private TestBackend(String name, Mode mode) {
        this.name = name;
        this.mode = mode;
    }

    static TestBackend start(String name, Mode mode) throws IOException {
        TestBackend b = new TestBackend(name, mode);
        b.listen();
        return b;
    }

    /** A port nothing listens on (bound, then released). */
    static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    /** Listens (again) on this backend's port, or a new one the first time. */
    synchronized void listen() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(LOOPBACK, port), 512);
        port = s.getLocalPort();
        server = s;
        acceptor = Thread.ofVirtual().name("backend-" + name + "-accept").start(() -> acceptLoop(s));
    }

    /**
     * Stops accepting and returns once the listening socket is really gone (a socket closed while
     * a thread is in accept() is only released when that thread leaves it). Connections already
     * accepted run to their end.
     */
    synchronized void stopListening() throws IOException, InterruptedException {
        server.close();
        acceptor.join();
    }

    String address() {
        return new HostPort(LOOPBACK.getHostAddress(), port).toString();
    }

    int port() {
        return port;
    }

    private void acceptLoop(ServerSocket s) {
        while (!s.isClosed()) {
            Socket c;
            try {
                c = s.accept();
            } catch (IOException e) {
                return;
            }
            if (s.isClosed()) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // closing a socket nobody will use
                }
                return;
            }
            accepted.incrementAndGet();
            open.add(c);
            Thread.ofVirtual().name("backend-" + name + "-conn").start(() -> serve(c));
        }
    }

    private void serve(Socket c) {
        try (c) {
            InputStream in = c.getInputStream();
            OutputStream out = c.getOutputStream();
            switch (mode) {
                case ECHO -> {
                    out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    in.transferTo(out);
                    out.write("bye\n".getBytes(StandardCharsets.US_ASCII));
                }
                case RESET -> {
                    in.read();
                    c.setSoLinger(true, 0);
                }
                case CLOSE -> c.setSoLinger(true, 0);
                case SOURCE -> {
                    if (in.read() < 0) {
                        return;
                    }
                    byte[] chunk = new byte[64 * 1024];
                    long left = sourceBytes;
                    long offset = 0;
                    while (left > 0) {
                        int n = (int) Math.min(chunk.length, left);
                        for (int i = 0; i < n; i++) {
                            chunk[i] = pattern(offset + i);
                        }
                        out.write(chunk, 0, n);
                        offset += n;
                        left -= n;
                        written.addAndGet(n);
                    }
                }
                case CAPTURE -> out.write(in.readNBytes(captureBytes));
            }
            out.flush();
        } catch (IOException e) {
            // The peer went away; nothing to do for a test backend.
        } finally {
            open.remove(c);
        }
    }

    static byte pattern(long offset) {
        return (byte) (offset * 31 + (offset >>> 13));
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            s.close();
        }
    }
}
