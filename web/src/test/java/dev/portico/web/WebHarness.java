package dev.portico.web;

import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.transport.Transport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** Starts a real web server on 127.0.0.1 port 0 and offers clients for it. */
final class WebHarness implements AutoCloseable {

    final Transport transport = Transport.select(null);
    final EventLoopGroup group = transport.newGroup(2, "test-web");
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
    final ServiceContext context = new ServiceContext(transport, group, meters, Clock.systemUTC(), blocking);
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    WebServer server;

    WebHarness start(WebConfig.Builder builder) throws Exception {
        return start(builder.listen("127.0.0.1:0").build());
    }

    WebHarness start(WebConfig config) throws Exception {
        return start(config, java.util.List.of());
    }

    WebHarness start(WebConfig config, java.util.List<dev.portico.web.http.RequestHandler> before) throws Exception {
        server = new WebServer("test", config, context, before);
        server.start();
        return this;
    }

    /** Sends a request with any method and a string body (null for none). */
    HttpResponse<String> send(String method, String path, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    int port() {
        return server.port();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<byte[]> getBytes(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Opens a raw socket with a read timeout. */
    Socket socket() throws IOException {
        Socket s = new Socket("127.0.0.1", port());
        s.setSoTimeout(10_000);
        return s;
    }

    /** Sends raw bytes and reads until the server closes or {@code until} appears. */
    static String exchange(Socket s, String request, String until) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return readUntil(s, until);
    }

    static String readUntil(Socket s, String until) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder sb = new StringBuilder();
        byte[] buf = new byte[8192];
        while (until == null || !sb.toString().contains(until)) {
            int n;
            try {
                n = in.read(buf);
            } catch (java.net.SocketTimeoutException e) {
                throw new java.net.SocketTimeoutException("read timed out; got so far: " + sb);
            } catch (java.net.SocketException e) {
                break;
            }
            if (n < 0) {
                break;
            }
            sb.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
        }
        return sb.toString();
    }

    @Override
    public void close() throws InterruptedException {
        if (server != null) {
            server.stop(Duration.ofMillis(200));
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        blocking.shutdownNow();
    }
}
