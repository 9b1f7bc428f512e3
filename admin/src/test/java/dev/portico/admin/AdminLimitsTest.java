package dev.portico.admin;

import dev.portico.core.net.HostPort;
import dev.portico.testing.PorticoExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What an unauthenticated client can hold on the admin listener: the token is checked as soon as
 * the headers are in, before any body is read, and connections and bodies are capped.
 */
@Timeout(30)
class AdminLimitsTest {

    private static final String TOKEN = "s3cret";

    @RegisterExtension
    final PorticoExtension portico = new PorticoExtension();

    private AdminServer admin;
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void close() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (admin != null) {
            admin.close();
        }
    }

    private void start(AdminServer.Builder b) throws Exception {
        admin = b.listen(new HostPort("127.0.0.1", 0)).token(TOKEN)
                .route(io.netty.handler.codec.http.HttpMethod.POST, "/echo",
                        r -> AdminResponse.text("text/plain", "got " + r.body().length))
                .build().start(portico.context().transport(), portico.context().workers());
    }

    private Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", admin.localAddress().getPort());
        s.setSoTimeout(5_000);
        sockets.add(s);
        return s;
    }

    private static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** Everything until the server closes the connection. */
    private static String readToClose(Socket s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
            }
        } catch (SocketException reset) {
            // A reset after the answer is a close too.
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aHugeBodyWithoutTokenGets401AtOnceAndTheConnectionCloses() throws Exception {
        start(AdminServer.builder(portico.metrics()));
        Socket s = connect();
        send(s, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000\r\n\r\n");
        assertThat(readToClose(s)).startsWith("HTTP/1.1 401").containsIgnoringCase("connection: close").contains("bearer token");
    }

    @Test
    void aBodyUnderTheLimitIsNotWaitedForWithoutToken() throws Exception {
        start(AdminServer.builder(portico.metrics()));
        Socket s = connect();
        // The body never comes: the answer must not wait for it.
        send(s, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\n");
        assertThat(readToClose(s)).startsWith("HTTP/1.1 401");
    }

    @Test
    void aReadOnlyTokenIsRefusedBeforeTheBody() throws Exception {
        admin = AdminServer.builder(portico.metrics()).listen(new HostPort("127.0.0.1", 0)).token("ro", AdminRole.READ)
                .route(io.netty.handler.codec.http.HttpMethod.POST, "/echo", r -> AdminResponse.text("text/plain", "no"))
                .build().start(portico.context().transport(), portico.context().workers());
        Socket s = connect();
        send(s, "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ro\r\nContent-Length: 500000\r\n\r\n");
        assertThat(readToClose(s)).startsWith("HTTP/1.1 403");
    }

    @Test
    void aBodyAboveTheLimitGets413AndTheConnectionCloses() throws Exception {
        start(AdminServer.builder(portico.metrics()).maxBody(1000));
        Socket s = connect();
        send(s, "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\nContent-Length: 1001\r\n\r\n");
        assertThat(readToClose(s)).startsWith("HTTP/1.1 413").contains("1000");

        Socket chunked = connect();
        send(chunked, "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                + "\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n" + "x".repeat(1000) + "\r\n1\r\ny\r\n0\r\n\r\n");
        assertThat(readToClose(chunked)).startsWith("HTTP/1.1 413");
    }

    @Test
    void anAuthenticatedBodyWithinTheLimitIsServed() throws Exception {
        start(AdminServer.builder(portico.metrics()).maxBody(1000));
        Socket s = connect();
        send(s, "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                + "\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n" + "x".repeat(1000));
        assertThat(readToClose(s)).startsWith("HTTP/1.1 200").endsWith("got 1000");
    }

    @Test
    void connectionsAboveTheCapAreClosedUntilOthersLeave() throws Exception {
        start(AdminServer.builder(portico.metrics()).maxConnections(4));
        List<Socket> idle = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            idle.add(connect());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> admin.openConnections() == 4);

        Socket over = connect();
        send(over, "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n");
        assertThat(readToClose(over)).isEmpty();

        idle.getFirst().close();
        await().atMost(Duration.ofSeconds(10)).until(() -> admin.openConnections() == 3);
        Socket ok = connect();
        send(ok, "GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\nConnection: close\r\n\r\n");
        assertThat(readToClose(ok)).startsWith("HTTP/1.1 200");
    }
}
