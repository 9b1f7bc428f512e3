package dev.portico.testing.fault;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP/1.1 backend on a loopback address, on plain sockets with one virtual thread per connection,
 * whose behaviour a test changes while traffic flows: it answers {@code 200} with its name, and
 * can be {@linkplain #stopGracefully() stopped gracefully}, {@linkplain #kill() killed} (every
 * socket reset at once), {@linkplain Mode#HANG hung}, {@linkplain #delay(Duration) slowed},
 * made to answer {@link Mode#UNAVAILABLE 503} or to {@linkplain Mode#RESET_AFTER_HEAD reset} each
 * connection once it has read a request head. It reads request bodies framed by Content-Length or
 * chunked, and keeps connections alive.
 */
public final class FaultyBackend implements AutoCloseable {

    /** How requests are answered. */
    public enum Mode {
        /** {@code 200} with the backend's name as the body. */
        OK,
        /** Read the request, never answer (the connection stays open). */
        HANG,
        /** {@code 503 Service Unavailable}. */
        UNAVAILABLE,
        /** Read the request head, then reset the connection (RST) without a byte of response. */
        RESET_AFTER_HEAD
    }

    private final String name;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile Mode mode = Mode.OK;
    private volatile long delayMillis;
    private volatile boolean stopping;
    private volatile Duration keepAliveTimeout;

    private final InetAddress bound;

    private FaultyBackend(String name, InetAddress address, int port) throws IOException {
        this.name = name;
        this.bound = address;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(address, port), 1024);
        threads.execute(this::acceptLoop);
    }

    /** Starts a backend on a free loopback port. */
    public static FaultyBackend start(String name) throws IOException {
        return new FaultyBackend(name, InetAddress.getLoopbackAddress(), 0);
    }

    /**
     * Starts a backend on {@code address} and {@code port} (another loopback address such as
     * 127.0.0.12 for DNS answers; port 0 for a free one; a stopped backend's port to bring it back).
     */
    public static FaultyBackend start(String name, InetAddress address, int port) throws IOException {
        return new FaultyBackend(name, address, port);
    }

    /** The name, sent as the body of each {@code 200}. */
    public String name() {
        return name;
    }

    /** {@code ip:port}, such as {@code 127.0.0.1:41234}. */
    public String address() {
        return bound.getHostAddress() + ":" + server.getLocalPort();
    }

    /** The address and port it listens on, for clients. */
    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(bound, server.getLocalPort());
    }

    /** The IP address it listens on. */
    public String ip() {
        return bound.getHostAddress();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Requests read so far (whatever was answered). */
    public long requests() {
        return requests.get();
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** Connections open now. */
    public int open() {
        return sockets.size();
    }

    /** Changes how the following requests are answered. */
    public FaultyBackend mode(Mode value) {
        mode = value;
        return this;
    }

    /** Delays each answer by {@code value} (zero for none). */
    public FaultyBackend delay(Duration value) {
        delayMillis = value.toMillis();
        return this;
    }

    /**
     * Advertises {@code Keep-Alive: timeout=N} on every answer and closes a connection idle that
     * long, as many servers do; null (the default) for neither.
     */
    public FaultyBackend keepAliveTimeout(Duration value) {
        keepAliveTimeout = value;
        return this;
    }

    /**
     * Stops as a server does on a graceful shutdown: closes the listener (new connections are
     * refused), lets requests in progress finish with {@code Connection: close}, closes idle
     * connections, and waits up to {@code wait} for the rest.
     */
    public void stopGracefully(Duration wait) throws IOException, InterruptedException {
        stopping = true;
        server.close();
        long end = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < end) {
            for (Socket s : sockets) {
                if (!busy.contains(s)) {
                    s.close();
                }
            }
            if (sockets.isEmpty()) {
                return;
            }
            Thread.sleep(5);
        }
        for (Socket s : sockets) {
            s.close();
        }
    }

    /** Connections between reading a request head and finishing its answer. */
    private final Set<Socket> busy = ConcurrentHashMap.newKeySet();

    /**
     * Dies as a crashed process does: the listener closes and every connection is reset at once
     * (SO_LINGER 0), whatever it was doing.
     */
    public void kill() throws IOException {
        stopping = true;
        server.close();
        for (Socket s : sockets) {
            reset(s);
        }
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
            s.close();
        } catch (IOException e) {
            // already gone
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                if (stopping) {
                    s.close();
                    continue;
                }
                s.setTcpNoDelay(true);
                sockets.add(s);
                connections.incrementAndGet();
                threads.execute(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (!stopping || busy.contains(s)) {
                Duration idle = keepAliveTimeout;
                s.setSoTimeout(idle == null ? 0 : (int) idle.toMillis());
                String head;
                try {
                    head = readHead(in);
                } catch (java.net.SocketTimeoutException e) {
                    return;
                }
                if (head == null) {
                    return;
                }
                busy.add(s);
                inFlight.incrementAndGet();
                try {
                    s.setSoTimeout(0);
                    if (!answer(s, head, in, out)) {
                        return;
                    }
                } finally {
                    inFlight.decrementAndGet();
                    busy.remove(s);
                }
            }
        } catch (IOException | RuntimeException e) {
            // the connection ends
        } finally {
            sockets.remove(s);
        }
    }

    /** Answers one request; false to close the connection. */
    private boolean answer(Socket s, String head, InputStream in, OutputStream out) throws IOException {
        requests.incrementAndGet();
        Mode m = mode;
        if (m == Mode.RESET_AFTER_HEAD) {
            reset(s);
            return false;
        }
        readBody(in, head);
        if (m == Mode.HANG) {
            // Read whatever comes until the peer gives up, never answering.
            while (in.read() >= 0) {
                // discard
            }
            return false;
        }
        long delay = delayMillis;
        if (delay > 0) {
            try {
                TimeUnit.MILLISECONDS.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        boolean close = stopping || head.toLowerCase(Locale.ROOT).contains("\r\nconnection: close");
        int status = m == Mode.UNAVAILABLE ? 503 : 200;
        byte[] body = (m == Mode.UNAVAILABLE ? "unavailable" : name).getBytes(StandardCharsets.UTF_8);
        Duration ka = keepAliveTimeout;
        String response = "HTTP/1.1 " + status + (status == 200 ? " OK" : " Service Unavailable")
                + "\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                + (close ? "\r\nConnection: close" : ka == null ? "" : "\r\nKeep-Alive: timeout=" + ka.toSeconds())
                + "\r\n\r\n";
        // One write: a kill between head and body would be a fault of its own.
        byte[] start = response.getBytes(StandardCharsets.US_ASCII);
        byte[] whole = java.util.Arrays.copyOf(start, start.length + body.length);
        System.arraycopy(body, 0, whole, start.length, body.length);
        out.write(whole);
        out.flush();
        return !close;
    }

    /** Reads a request head up to its blank line; null at the end of the stream. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(256);
        int c;
        while ((c = in.read()) >= 0) {
            sb.append((char) c);
            int n = sb.length();
            if (n >= 4 && sb.charAt(n - 1) == '\n' && sb.charAt(n - 2) == '\r' && sb.charAt(n - 3) == '\n') {
                return sb.toString();
            }
            if (n > 65536) {
                throw new IOException("request head too large");
            }
        }
        return null;
    }

    /** Reads and drops the request body, framed by Content-Length or chunked. */
    private static void readBody(InputStream in, String head) throws IOException {
        String lower = head.toLowerCase(Locale.ROOT);
        if (lower.contains("\r\ntransfer-encoding: chunked")) {
            while (true) {
                String line = line(in);
                int semi = line.indexOf(';');
                long size = Long.parseLong((semi < 0 ? line : line.substring(0, semi)).strip(), 16);
                if (size == 0) {
                    while (!line(in).isEmpty()) {
                        // trailers
                    }
                    return;
                }
                skip(in, size);
                line(in);
            }
        }
        int at = lower.indexOf("\r\ncontent-length:");
        if (at >= 0) {
            int end = lower.indexOf('\r', at + 2);
            skip(in, Long.parseLong(lower.substring(at + 17, end).strip()));
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        if (c < 0) {
            throw new IOException("end of stream in a chunked body");
        }
        return sb.toString();
    }

    private static void skip(InputStream in, long n) throws IOException {
        for (long left = n; left > 0; left--) {
            if (in.read() < 0) {
                throw new IOException("end of stream in a body");
            }
        }
    }

    /** Closes the listener and resets every connection. */
    @Override
    public void close() throws IOException {
        kill();
        threads.shutdownNow();
    }
}
