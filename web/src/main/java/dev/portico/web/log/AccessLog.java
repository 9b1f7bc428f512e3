package dev.portico.web.log;

import dev.portico.web.http.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An access log in the combined format, written by its own thread: the event loop only copies a
 * few fields into a queue. When the queue is full, entries are dropped and counted rather than
 * slowing the server down.
 */
public final class AccessLog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AccessLog.class);
    private static final DateTimeFormatter CLF =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.US).withZone(ZoneId.systemDefault());
    private static final Entry STOP = new Entry(null, 0, null, null, null, 0, 0, null, null, null);

    private record Entry(String client, long millis, String method, String uri, String version, int status,
                         long bytes, String referer, String agent, String user) {
    }

    private final BlockingQueue<Entry> queue = new ArrayBlockingQueue<>(65_536);
    private final Writer out;
    private final Thread thread;
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean closed;

    /** Opens (appending) or creates {@code file} and starts the writer thread. */
    public AccessLog(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.out = new BufferedWriter(new java.io.OutputStreamWriter(Files.newOutputStream(file,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE), StandardCharsets.UTF_8),
                64 * 1024);
        this.thread = Thread.ofPlatform().daemon().name("portico-access-log").start(this::run);
    }

    /** Queues one line for a completed exchange. */
    public void record(Exchange ex, long epochMillis) {
        if (closed) {
            return;
        }
        InetSocketAddress remote = ex.remoteAddress();
        Entry e = new Entry(remote == null ? "-" : remote.getAddress().getHostAddress(), epochMillis,
                ex.method().name(), ex.request().uri(), ex.protocol(), ex.status(), ex.bytesSent(),
                ex.headers().get("Referer"), ex.headers().get("User-Agent"), (String) null);
        if (!queue.offer(e)) {
            dropped.incrementAndGet();
        }
    }

    /** Entries dropped because the writer could not keep up. */
    public long dropped() {
        return dropped.get();
    }

    private void run() {
        try {
            while (true) {
                Entry e = queue.poll(1, TimeUnit.SECONDS);
                if (e == null) {
                    out.flush();
                    continue;
                }
                if (e == STOP) {
                    break;
                }
                out.write(format(e));
                if (queue.isEmpty()) {
                    out.flush();
                }
            }
            out.flush();
        } catch (IOException ex) {
            log.error("access log write failed; logging stops: {}", ex.toString());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    private static String format(Entry e) {
        StringBuilder sb = new StringBuilder(160);
        sb.append(e.client).append(" - ").append(e.user == null ? "-" : e.user).append(" [")
                .append(CLF.format(Instant.ofEpochMilli(e.millis))).append("] \"")
                .append(clean(e.method)).append(' ').append(clean(e.uri)).append(' ').append(e.version).append("\" ")
                .append(e.status).append(' ').append(e.bytes).append(" \"")
                .append(e.referer == null ? "-" : clean(e.referer)).append("\" \"")
                .append(e.agent == null ? "-" : clean(e.agent)).append("\"\n");
        return sb.toString();
    }

    private static String clean(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Writes what is queued and stops the thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            queue.put(STOP);
            thread.join(5000);
            out.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            log.warn("closing access log: {}", e.toString());
        }
    }
}
