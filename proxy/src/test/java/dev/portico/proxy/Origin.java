package dev.portico.proxy;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A loopback HTTP/1.1 backend on plain sockets, one virtual thread per connection, whose answers
 * are scripted by the test (so it can also answer badly). It records every request head it sees,
 * and counts connections and body bytes without keeping bodies. A TLS origin ({@link #tls}) also
 * records the SNI each handshake sent.
 */
final class Origin implements AutoCloseable {

    /** What a request looked like to the backend. */
    record Seen(Http.Head head, long bodyBytes, int connection) {
    }

    /** Writes the answer to one request; returns false to close the connection afterwards. */
    @FunctionalInterface
    interface Script {
        boolean answer(Seen request, InputStream in, OutputStream out) throws IOException;
    }

    final String name;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();
    /** The SNI of each completed TLS handshake ("" when the client sent none). */
    final List<String> sni = new CopyOnWriteArrayList<>();
    /** TLS handshakes that failed on this side. */
    final AtomicInteger failedHandshakes = new AtomicInteger();
    private volatile Script script;
    private final boolean readsBodies;

    private Origin(String name, Script script, boolean readsBodies) throws IOException {
        this(name, script, readsBodies, new ServerSocket());
    }

    private Origin(String name, Script script, boolean readsBodies, ServerSocket server) throws IOException {
        this.name = name;
        this.script = script;
        this.readsBodies = readsBodies;
        this.server = server;
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        threads.execute(this::acceptLoop);
    }

    static Origin start(String name, Script script) throws IOException {
        return new Origin(name, script, true);
    }

    /** A backend whose script reads request bodies itself (body bytes are then recorded as 0). */
    static Origin startRaw(String name, Script script) throws IOException {
        return new Origin(name, script, false);
    }

    /**
     * A backend speaking TLS with {@code context}; {@code setup} may ask for client certificates.
     * The handshake runs when a connection is accepted.
     */
    static Origin tls(String name, SSLContext context, Consumer<SSLServerSocket> setup, Script script) throws IOException {
        SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket();
        setup.accept(server);
        return new Origin(name, script, true, server);
    }

    /** A TLS backend answering 200 with its name as the body. */
    static Origin tls(String name, SSLContext context, Consumer<SSLServerSocket> setup) throws IOException {
        return tls(name, context, setup, (req, in, out) -> text(out, 200, name));
    }

    /** A backend answering 200 with its name as the body. */
    static Origin named(String name) throws IOException {
        return start(name, (req, in, out) -> text(out, 200, name));
    }

    void script(Script value) {
        this.script = value;
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Writes a 200-style text answer with Content-Length and keep-alive. */
    static boolean text(OutputStream out, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + " X\r\nContent-Type: text/plain\r\nContent-Length: " + b.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.flush();
        return true;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                int id = connections.incrementAndGet();
                threads.execute(() -> serve(s, id));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, int id) {
        try (s) {
            if (s instanceof SSLSocket tls) {
                try {
                    tls.startHandshake();
                } catch (IOException e) {
                    failedHandshakes.incrementAndGet();
                    throw e;
                }
                List<SNIServerName> names = ((ExtendedSSLSession) tls.getSession()).getRequestedServerNames();
                sni.add(names.isEmpty() ? "" : ((SNIHostName) names.getFirst()).getAsciiName());
            }
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                Http.Head head = Http.head(in);
                if (head == null) {
                    return;
                }
                long n = 0;
                boolean upgrade = head.get("upgrade") != null;
                if (!upgrade && readsBodies) {
                    n = Http.body(in, head, false, OutputStream.nullOutputStream());
                }
                Seen req = new Seen(head, n, id);
                seen.add(req);
                if (!script.answer(req, in, out)) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the connection ends
        } finally {
            sockets.remove(s);
        }
    }

    /** Connections open now. */
    int open() {
        return sockets.size();
    }

    /** Closes every open connection, keeping the listener (makes pooled connections stale). */
    void dropConnections() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        dropConnections();
        threads.shutdownNow();
    }
}
