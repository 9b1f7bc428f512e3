package dev.portico.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A blocking line-oriented TCP client with timeouts, for talking to line services in tests. */
public final class LineClient implements AutoCloseable {

    private final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;

    private LineClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        this.out = socket.getOutputStream();
    }

    /** Connects to 127.0.0.1:{@code port}; reads time out after {@code timeout}. */
    public static LineClient connect(int port, Duration timeout) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            return new LineClient(s);
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** Sends one line and reads one line back; null when the server closed the connection. */
    public String ask(String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return in.readLine();
    }

    /** Sends one line and returns the server's reply to a single round trip, as a one-shot helper. */
    public static String ask(int port, String line, Duration timeout) throws IOException {
        try (LineClient c = connect(port, timeout)) {
            return c.ask(line);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
