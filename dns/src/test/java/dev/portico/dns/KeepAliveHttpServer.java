package dev.portico.dns;

import java.io.BufferedInputStream;
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

/**
 * An HTTP/1.1 server on raw sockets that behaves as a keep-alive server such as nginx does at
 * its most stubborn: it answers every request head with {@code 200}, a Content-Length and
 * {@code Connection: keep-alive}, and never closes a connection itself, not even after a request
 * that asked for {@code Connection: close}. A client that waits for the end of the stream to
 * finish a response waits forever here.
 */
final class KeepAliveHttpServer implements AutoCloseable {

    private static final byte[] BODY = "alive and well".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\nServer: keep-alive-test\r\nContent-Type: text/plain\r\n"
            + "Content-Length: " + BODY.length + "\r\nConnection: keep-alive\r\n\r\n"
            + new String(BODY, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII);

    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger closedByClient = new AtomicInteger();

    KeepAliveHttpServer(String address) throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
        Thread.ofVirtual().start(this::accept);
    }

    /** {@code ip:port}. */
    String spec() {
        return server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    /** Request heads answered. */
    int requests() {
        return requests.get();
    }

    /** Connections the client closed after its answers (the server never closes one). */
    int closedByClient() {
        return closedByClient.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                open.add(s);
                Thread.ofVirtual().start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (readHead(in)) {
                requests.incrementAndGet();
                out.write(RESPONSE);
                out.flush();
            }
            closedByClient.incrementAndGet();
        } catch (IOException e) {
            // reset by the client, or closed by close()
        } finally {
            open.remove(s);
        }
    }

    /** Reads a request head (the checks send no body); false at the end of the stream. */
    private static boolean readHead(InputStream in) throws IOException {
        int last4 = 0;
        int c;
        while ((c = in.read()) >= 0) {
            last4 = (last4 << 8) | c;
            if (last4 == 0x0d0a0d0a) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            s.close();
        }
    }
}
