package dev.portico.testing.fault;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Many concurrent keep-alive HTTP/1.1 clients on raw sockets, one virtual thread each, that send
 * requests to one address until stopped and count what they get: statuses, and errors (a
 * connection that failed, closed or timed out before a whole response; the client then opens a
 * new one, after {@link #RETRY_PAUSE}). While it runs a test injects faults and reads
 * {@link #requests()} to know that traffic flows.
 */
public final class LoadDriver implements AutoCloseable {

    /**
     * What the clients got.
     *
     * @param statuses  responses by status code
     * @param errors    requests that got no whole response, by reason
     * @param maxMillis the slowest request
     */
    public record Result(Map<Integer, Long> statuses, Map<String, Long> errors, long maxMillis) {

        /** Responses with this status. */
        public long count(int status) {
            return statuses.getOrDefault(status, 0L);
        }

        /** Every response and error. */
        public long total() {
            return statuses.values().stream().mapToLong(Long::longValue).sum() + errorCount();
        }

        /** Requests that got no whole response. */
        public long errorCount() {
            return errors.values().stream().mapToLong(Long::longValue).sum();
        }

        /** Requests that got anything but a 2xx, or nothing. */
        public long failures() {
            return total() - statuses.entrySet().stream().filter(e -> e.getKey() / 100 == 2)
                    .mapToLong(Map.Entry::getValue).sum();
        }
    }

    /**
     * How long a client waits after a failed connection before it opens the next. A connect to a
     * refused port on loopback fails without ever parking its virtual thread, so clients retrying
     * at once would hold every carrier thread and starve the other virtual threads of the JVM
     * (a {@link FaultyBackend}'s among them) for as long as the port stays closed.
     */
    public static final Duration RETRY_PAUSE = Duration.ofMillis(10);

    private final InetSocketAddress target;
    private final String request;
    private final int readTimeoutMillis;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Future<?>> clients = new ArrayList<>();
    private final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final LongAdder requests = new LongAdder();
    private final AtomicLong maxNanos = new AtomicLong();
    private volatile boolean running = true;

    private LoadDriver(InetSocketAddress target, String method, String host, String path, String body, int clients,
                       Duration timeout, boolean close) {
        this.target = target;
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        this.request = method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
                + (b.length > 0 || method.equals("PUT") || method.equals("POST") ? "Content-Length: " + b.length + "\r\n" : "")
                + (close ? "Connection: close\r\n" : "") + "\r\n" + body;
        this.readTimeoutMillis = (int) timeout.toMillis();
        for (int i = 0; i < clients; i++) {
            this.clients.add(threads.submit(this::client));
        }
    }

    /**
     * Starts {@code clients} clients sending {@code GET path} with Host {@code host} to
     * 127.0.0.1:{@code port}; a request without a whole response within {@code timeout} counts
     * as an error.
     */
    public static LoadDriver get(int port, String host, String path, int clients, Duration timeout) {
        return get(loopback(port), host, path, clients, timeout);
    }

    /**
     * The same against {@code target}, such as a {@link FaultyBackend#socketAddress()} on another
     * loopback address than 127.0.0.1.
     */
    public static LoadDriver get(InetSocketAddress target, String host, String path, int clients, Duration timeout) {
        return new LoadDriver(target, "GET", host, path, "", clients, timeout, false);
    }

    /** The same, each request on a new connection ({@code Connection: close}): counts connections that fail. */
    public static LoadDriver getEachOnNewConnection(int port, String host, String path, int clients, Duration timeout) {
        return new LoadDriver(loopback(port), "GET", host, path, "", clients, timeout, true);
    }

    /** The same with any method and a body (empty for none). */
    public static LoadDriver start(int port, String method, String host, String path, String body, int clients,
                                   Duration timeout) {
        return new LoadDriver(loopback(port), method, host, path, body, clients, timeout, false);
    }

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** Requests finished so far, answered or not. */
    public long requests() {
        return requests.sum();
    }

    private void client() {
        byte[] raw = request.getBytes(StandardCharsets.ISO_8859_1);
        while (running) {
            try (Socket s = new Socket()) {
                s.setTcpNoDelay(true);
                s.setSoTimeout(readTimeoutMillis);
                s.connect(target, readTimeoutMillis);
                InputStream in = new BufferedInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                boolean open = true;
                while (running && open) {
                    long start = System.nanoTime();
                    out.write(raw);
                    out.flush();
                    open = readResponse(in);
                    maxNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                    requests.increment();
                }
            } catch (IOException e) {
                errors.computeIfAbsent(reason(e), k -> new LongAdder()).increment();
                requests.increment();
                if (!pause()) {
                    return;
                }
            }
        }
    }

    /** Waits {@link #RETRY_PAUSE}, parking the virtual thread; false when interrupted. */
    private static boolean pause() {
        try {
            Thread.sleep(RETRY_PAUSE);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String reason(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.replaceAll("[0-9]+", "N"));
    }

    /** Reads one response; returns false when the server closes the connection after it. */
    private boolean readResponse(InputStream in) throws IOException {
        String status = line(in);
        if (status == null) {
            throw new IOException("closed before a response");
        }
        if (!status.startsWith("HTTP/1.") || status.length() < 12) {
            throw new IOException("bad status line");
        }
        int code = Integer.parseInt(status.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        boolean close = false;
        String h;
        while ((h = line(in)) != null && !h.isEmpty()) {
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).strip());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                close = true;
            }
        }
        if (h == null) {
            throw new IOException("closed in a response head");
        }
        if (chunked) {
            long size;
            while ((size = Long.parseLong(strip(line(in)), 16)) > 0) {
                skip(in, size + 2);
            }
            while (!line(in).isEmpty()) {
                // trailers
            }
        } else if (length >= 0) {
            skip(in, length);
        } else if (code != 204 && code != 304) {
            while (in.read() >= 0) {
                // read to the close
            }
            close = true;
        }
        statuses.computeIfAbsent(code, k -> new LongAdder()).increment();
        return !close;
    }

    private static String strip(String chunkLine) throws IOException {
        if (chunkLine == null) {
            throw new IOException("closed in a chunked body");
        }
        int semi = chunkLine.indexOf(';');
        return (semi < 0 ? chunkLine : chunkLine.substring(0, semi)).strip();
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return c < 0 && sb.isEmpty() ? null : sb.toString();
    }

    private static void skip(InputStream in, long n) throws IOException {
        long left = n;
        while (left > 0) {
            long k = in.skip(left);
            if (k <= 0) {
                if (in.read() < 0) {
                    throw new IOException("closed in a body");
                }
                k = 1;
            }
            left -= k;
        }
    }

    /** Stops the clients (each finishes its request in progress) and returns what they got. */
    public Result stop() throws InterruptedException {
        running = false;
        threads.shutdown();
        if (!threads.awaitTermination(readTimeoutMillis + 5000L, TimeUnit.MILLISECONDS)) {
            threads.shutdownNow();
        }
        Map<Integer, Long> s = new TreeMap<>();
        statuses.forEach((k, v) -> s.put(k, v.sum()));
        Map<String, Long> e = new TreeMap<>();
        errors.forEach((k, v) -> e.put(k, v.sum()));
        return new Result(s, e, TimeUnit.NANOSECONDS.toMillis(maxNanos.get()));
    }

    @Override
    public void close() throws InterruptedException {
        if (running) {
            stop();
        }
    }
}
