package dev.portico.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Header rewriting, upstream keep-alive, response framings and HEAD. */
@Timeout(30)
class ForwardingTest {

    private final ProxyHarness h = new ProxyHarness();

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    @Test
    void hopByHopHeadersAreDroppedAndForwardingHeadersSet() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=5\r\nConnection: X-Secret\r\n"
                    + "X-Secret: s\r\nX-Kept: k\r\nProxy-Authenticate: Basic\r\n\r\nok").getBytes(StandardCharsets.US_ASCII));
            return true;
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        Http.Response r = h.get("www.example.com", "/p?q=1", "Connection: keep-alive, X-Private", "X-Private: no",
                "Keep-Alive: 300", "Proxy-Authorization: Basic x", "TE: trailers", "X-Forwarded-For: 203.0.113.9",
                "Via: 1.0 edge", "X-App: yes");
        assertThat(r.text()).isEqualTo("ok");
        assertThat(r.header("x-kept")).isEqualTo("k");
        assertThat(r.header("x-secret")).isNull();
        assertThat(r.header("keep-alive")).isNull();
        assertThat(r.header("proxy-authenticate")).isNull();
        assertThat(r.header("via")).isEqualTo("1.1 portico");
        Http.Head seen = o.seen.getFirst().head();
        assertThat(seen.line()).isEqualTo("GET /p?q=1 HTTP/1.1");
        assertThat(seen.get("x-app")).isEqualTo("yes");
        assertThat(seen.get("host")).isEqualTo("www.example.com");
        assertThat(seen.get("x-private")).isNull();
        assertThat(seen.get("keep-alive")).isNull();
        assertThat(seen.get("proxy-authorization")).isNull();
        assertThat(seen.get("te")).isNull();
        assertThat(seen.get("connection")).isNull();
        assertThat(seen.get("x-forwarded-for")).isEqualTo("203.0.113.9, 127.0.0.1");
        assertThat(seen.get("x-forwarded-proto")).isEqualTo("http");
        assertThat(seen.get("forwarded")).isEqualTo("for=127.0.0.1;proto=http;host=\"www.example.com\"");
        assertThat(seen.get("via")).isEqualTo("1.0 edge, 1.1 portico");
    }

    @Test
    void keepAliveConnectionsAreReused() throws Exception {
        Origin o = h.named("o");
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        try (ProxyHarness.Client c = h.client()) {
            for (int i = 0; i < 20; i++) {
                assertThat(c.get("x", "/" + i).text()).isEqualTo("o");
            }
        }
        assertThat(o.seen).hasSize(20);
        assertThat(o.connections.get()).isEqualTo(1);
        assertThat(h.proxy.upstreamConnectionsReused()).isEqualTo(19);
        var meters = h.context.meters();
        assertThat(meters.get("portico_proxy_upstream_reused").functionCounter().count()).isEqualTo(19);
        assertThat(meters.get("portico_proxy_upstream_connections").functionCounter().count()).isEqualTo(1);
        await().until(() -> meters.get("portico_proxy_requests").tag("status", "2xx").counter().count() == 20);
    }

    /**
     * Answers without a body (204, 304, HEAD) or with an empty one hand their connection back
     * before the client can see their end, so the request pipelined behind each takes the same
     * connection; the backend sees every request exactly once.
     */
    @Test
    void emptyAnswersHandTheirConnectionOnToTheNextRequest() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> {
            String line = req.head().line();
            if (line.startsWith("HEAD")) {
                return Replies.write(out, 200, null);
            }
            return switch (line.split(" ")[1]) {
                case "/204" -> Replies.write(out, 204, "");
                case "/304" -> Replies.write(out, 304, "", "ETag: \"e\"");
                case "/empty" -> Replies.write(out, 200, "");
                default -> Replies.write(out, 200, "full");
            };
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        List<String> sent = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            sent.addAll(List.of("GET /204", "GET /304", "GET /empty", "HEAD /head", "GET /full"));
        }
        try (ProxyHarness.Client c = h.client()) {
            // one by one, then all pipelined in one write
            for (String r : sent) {
                assertStatus(r, sendOne(c, r));
            }
            StringBuilder all = new StringBuilder();
            for (String r : sent) {
                all.append(r).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            c.send(all.toString());
            for (String r : sent) {
                assertStatus(r, c.read(r.startsWith("HEAD")));
            }
        }
        assertThat(o.seen).hasSize(2 * sent.size());
        for (int i = 0; i < o.seen.size(); i++) {
            assertThat(o.seen.get(i).head().line()).isEqualTo(sent.get(i % sent.size()) + " HTTP/1.1");
        }
        assertThat(o.connections.get()).isEqualTo(1);
        assertThat(h.proxy.upstreamConnectionsReused()).isEqualTo(2L * sent.size() - 1);
    }

    private static Http.Response sendOne(ProxyHarness.Client c, String request) throws java.io.IOException {
        c.send(request + " HTTP/1.1\r\nHost: x\r\n\r\n");
        return c.read(request.startsWith("HEAD"));
    }

    private static void assertStatus(String request, Http.Response r) {
        int expected = request.endsWith("/204") ? 204 : request.endsWith("/304") ? 304 : 200;
        assertThat(r.status()).as(request).isEqualTo(expected);
        assertThat(r.text()).as(request).isEqualTo(request.endsWith("/full") ? "full" : "");
    }

    @Test
    void closeDelimitedAndChunkedResponsesArePassedOn() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> {
            if (req.head().line().contains("/close")) {
                out.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end".getBytes(StandardCharsets.US_ASCII));
                return false;
            }
            out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            return true;
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        try (ProxyHarness.Client c = h.client()) {
            Http.Response closed = c.get("x", "/close");
            assertThat(closed.text()).isEqualTo("until the end");
            assertThat(closed.head().chunked()).isTrue();
            Http.Response chunked = c.get("x", "/chunked");
            assertThat(chunked.text()).isEqualTo("hello world");
        }
    }

    @Test
    void http10ClientsGetUnframedBodiesOrTheKeepAliveTheyAskFor() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> {
            if (req.head().line().contains("/chunked")) {
                out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                return true;
            }
            return Origin.text(out, 200, "fixed");
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), h.proxy.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /chunked HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            String head = all.substring(0, all.indexOf("\r\n\r\n")).toLowerCase(java.util.Locale.ROOT);
            assertThat(head).startsWith("http/1.0 200").contains("connection: close").doesNotContain("transfer-encoding");
            assertThat(all.substring(all.indexOf("\r\n\r\n") + 4)).isEqualTo("hello");
        }
        try (ProxyHarness.Client c = h.client()) {
            for (int i = 0; i < 2; i++) {
                c.send("GET /fixed HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
                Http.Response r = c.read(false);
                assertThat(r.text()).isEqualTo("fixed");
                assertThat(r.header("connection")).isEqualToIgnoringCase("keep-alive");
                assertThat(r.header("content-length")).isEqualTo("5");
            }
        }
    }

    @Test
    void eachRequestOfAKeptAliveClientGetsTheForwardedElementOfItsOwnHost() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> Origin.text(out, 200, "ok"));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        String[] hosts = {"a.example", "a.example", "b.example", "a.example"};
        try (ProxyHarness.Client c = h.client()) {
            for (String host : hosts) {
                c.send("GET / HTTP/1.1\r\nHost: " + host + "\r\nForwarded: for=192.0.2.1\r\n\r\n");
                assertThat(c.read(false).text()).isEqualTo("ok");
            }
        }
        assertThat(o.seen).hasSize(hosts.length);
        for (int i = 0; i < hosts.length; i++) {
            Http.Head seen = o.seen.get(i).head();
            assertThat(seen.get("forwarded"))
                    .isEqualTo("for=192.0.2.1, for=127.0.0.1;proto=http;host=\"" + hosts[i] + "\"");
            assertThat(seen.get("x-forwarded-for")).isEqualTo("127.0.0.1");
        }
    }

    @Test
    void headGetsTheHeadOnly() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> {
            if (!req.head().line().startsWith("HEAD")) {
                return Origin.text(out, 200, "get");
            }
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return true;
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        try (ProxyHarness.Client c = h.client()) {
            c.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Response r = c.read(true);
            assertThat(r.header("content-length")).isEqualTo("1234");
            assertThat(c.get("x", "/again").status()).isEqualTo(200);
        }
        await().until(() -> o.seen.size() == 2);
        assertThat(o.connections.get()).isEqualTo(1);
    }

    @Test
    void aLargeResponseStreamsToASlowReader() throws Exception {
        int size = 20 << 20;
        AtomicLong written = new AtomicLong();
        Origin o = h.origin("o", (req, in, out) -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] block = new byte[65536];
            for (int i = 0; i < size / block.length; i++) {
                out.write(block);
                written.addAndGet(block.length);
            }
            out.flush();
            return true;
        });
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        try (ProxyHarness.Client c = h.client()) {
            c.socket.setReceiveBufferSize(65536);
            c.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
            Http.Head head = Http.head(c.in);
            assertThat(head.length()).isEqualTo(size);
            // Read the first 2 MiB slowly: the proxy must hold the backend back instead of buffering.
            byte[] buf = new byte[8192];
            long read = 0;
            while (read < (2 << 20)) {
                read += c.in.read(buf);
                Thread.sleep(1);
            }
            long ahead = written.get() - read;
            assertThat(ahead).as("bytes the backend wrote beyond what the client read").isLessThan(12L << 20);
            read += Http.body(c.in, new Http.Head("x", Map.of("content-length", String.valueOf(size - read))),
                    false, OutputStream.nullOutputStream());
            assertThat(read).isEqualTo(size);
        }
    }

    @Test
    void aLargeChunkedUploadStreamsToTheBackend() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> Origin.text(out, 200, "got " + req.bodyBytes()));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        long size = 20L << 20;
        try (ProxyHarness.Client c = h.client()) {
            c.send("POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
            OutputStream out = c.socket.getOutputStream();
            byte[] block = new byte[65536];
            String sizeLine = Integer.toHexString(block.length) + "\r\n";
            for (long sent = 0; sent < size; sent += block.length) {
                out.write(sizeLine.getBytes(StandardCharsets.US_ASCII));
                out.write(block);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Http.Response r = c.read(false);
            assertThat(r.text()).isEqualTo("got " + size);
        }
        assertThat(o.seen.getFirst().head().chunked()).isTrue();
    }

    @Test
    void anUploadToASlowBackendIsHeldBackNotBuffered() throws Exception {
        long size = 20L << 20;
        AtomicLong consumed = new AtomicLong();
        Origin o = Origin.startRaw("slow", (req, in, out) -> {
            byte[] buf = new byte[8192];
            long left = req.head().length();
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    return false;
                }
                left -= n;
                if (consumed.addAndGet(n) < (2 << 20)) {
                    sleepOneMilli();
                }
            }
            return Origin.text(out, 200, "got " + consumed.get());
        });
        h.origins.add(o);
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        AtomicLong sent = new AtomicLong();
        try (ProxyHarness.Client c = h.client()) {
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = c.socket.getOutputStream();
                    out.write(("PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + size + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    byte[] block = new byte[65536];
                    for (long s = 0; s < size; s += block.length) {
                        out.write(block);
                        sent.addAndGet(block.length);
                    }
                    out.flush();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            await().until(() -> consumed.get() >= (2 << 20) - 8192);
            long ahead = sent.get() - consumed.get();
            assertThat(ahead).as("bytes the client sent beyond what the backend read").isLessThan(12L << 20);
            assertThat(c.read(false).text()).isEqualTo("got " + size);
            writer.join();
        }
    }

    private static void sleepOneMilli() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aContentLengthUploadKeepsItsLength() throws Exception {
        Origin o = h.origin("o", (req, in, out) -> Origin.text(out, 200, "got " + req.bodyBytes()));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).build());
        try (ProxyHarness.Client c = h.client()) {
            c.send("PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            assertThat(Http.line(c.in)).isEqualTo("HTTP/1.1 100 Continue");
            Http.line(c.in);
            c.send("hello");
            assertThat(c.read(false).text()).isEqualTo("got 5");
        }
        assertThat(o.seen.getFirst().head().length()).isEqualTo(5);
    }
}
