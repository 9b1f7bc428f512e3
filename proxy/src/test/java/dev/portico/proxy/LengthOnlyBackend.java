package dev.portico.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A backend as many are written: it frames request bodies by Content-Length alone (no
 * Transfer-Encoding, no Connection handling), so bytes a proxy forwards after a head that lost its
 * Content-Length are read as a second request. It records every request it parsed, with the exact
 * bytes of its head and body, and answers each with its own request line as the body.
 */
final class LengthOnlyBackend implements AutoCloseable {

    /** One request as this backend parsed it. */
    record Request(String head, byte[] body, int connection) {
        String line() {
            return head.substring(0, head.indexOf("\r\n"));
        }

        /** The value of the first field named {@code name}, or null. */
        String field(String name) {
            for (String l : head.split("\r\n")) {
                int colon = l.indexOf(':');
                if (colon > 0 && l.substring(0, colon).equalsIgnoreCase(name)) {
                    return l.substring(colon + 1).strip();
                }
            }
            return null;
        }

        /** Every field name, in order, lower-case. */
        List<String> names() {
            List<String> names = new ArrayList<>();
            for (String l : head.split("\r\n")) {
                int colon = l.indexOf(':');
                if (colon > 0) {
                    names.add(l.substring(0, colon).toLowerCase(Locale.ROOT));
                }
            }
            return names;
        }

        String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final String extraFields;
    private int connections;

    /** @param extraFields header lines added to every answer, each ending in CRLF ("" for none) */
    LengthOnlyBackend(String extraFields) throws IOException {
        this.extraFields = extraFields;
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        threads.execute(this::accept);
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                int id;
                synchronized (this) {
                    id = ++connections;
                }
                threads.execute(() -> serve(s, id));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, int id) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = head(in);
                if (head == null) {
                    return;
                }
                Request r = new Request(head, null, id);
                String cl = r.field("Content-Length");
                byte[] body = cl == null ? new byte[0] : in.readNBytes(Integer.parseInt(cl));
                r = new Request(head, body, id);
                requests.add(r);
                byte[] answer = r.line().getBytes(StandardCharsets.ISO_8859_1);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + extraFields + "Content-Length: "
                        + answer.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(answer);
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // the connection ends
        } finally {
            sockets.remove(s);
        }
    }

    /** The head up to and including its empty line, or null at the end of the stream. */
    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            int n = b.size();
            byte[] a = b.toByteArray();
            if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        threads.shutdownNow();
    }
}
