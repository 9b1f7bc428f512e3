package dev.portico.web;

import dev.portico.core.net.Cidr;
import dev.portico.web.h2.Http2Options;
import dev.portico.web.routes.Response;
import dev.portico.web.routes.Routes;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Flow control on a large file, the routes API and WebDAV over h2c. */
@Timeout(120)
class Http2AppsTest {

    private static final int SETTINGS_INITIAL_WINDOW_SIZE = 0x4;

    @TempDir
    Path root;
    @TempDir
    Path work;
    WebHarness web = new WebHarness();

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    private String base() {
        return "http://127.0.0.1:" + web.port();
    }

    @Test
    void aSlowReaderGetsALargeFileAsItOpensItsWindowAndTheServerHoldsLittle() throws Exception {
        byte[] data = new byte[20 << 20];
        new Random(7).nextBytes(data);
        Files.write(root.resolve("big.bin"), data);
        web.start(WebConfig.builder().root(root).http2(Http2Options.defaults().withH2c(true)));
        long before = usedDirect();
        try (RawH2 c = new RawH2(web.port(), SETTINGS_INITIAL_WINDOW_SIZE, 16_384)) {
            c.request(1, RawH2.get("/big.bin"), true);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            // The stream's window (16 KiB) is all the server may send before the client reads on.
            while (got.size() < 16_384) {
                RawH2.Frame f = c.read();
                if (f.type() == RawH2.DATA && f.stream() == 1) {
                    got.write(f.payload());
                }
            }
            assertThat(got.size()).isEqualTo(16_384);
            // While the client grants nothing, the server neither sends more nor reads the file ahead.
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3))
                    .until(() -> usedDirect() - before < 4 << 20);
            c.socket().setSoTimeout(300);
            assertThat(readsNothing(c)).isTrue();
            c.socket().setSoTimeout(10_000);
            // Then it reads slowly: 64 KiB more at a time, on the stream and on the connection.
            boolean ended = false;
            while (!ended) {
                c.windowUpdate(1, 65_536);
                c.windowUpdate(0, 65_536);
                int thisRound = 0;
                while (thisRound < 65_536 && !ended) {
                    RawH2.Frame f = c.read();
                    if (f.type() == RawH2.DATA && f.stream() == 1) {
                        got.write(f.payload());
                        thisRound += f.payload().length;
                        ended = f.endStream();
                    }
                }
                assertThat(usedDirect() - before).isLessThan(4 << 20);
            }
            assertThat(Http2WebTest.sha256(got.toByteArray())).isEqualTo(Http2WebTest.sha256(data));
        }
    }

    private static boolean readsNothing(RawH2 c) throws Exception {
        try {
            RawH2.Frame f = c.read();
            return f != null && f.type() != RawH2.DATA;
        } catch (java.net.SocketTimeoutException e) {
            return true;
        }
    }

    private static long usedDirect() {
        return ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory();
    }

    @Test
    void routesTakeAPostBody() throws Exception {
        Files.writeString(root.resolve("static.txt"), "from static files");
        Routes routes = Routes.builder()
                .post("/echo", r -> Response.bytes(r.body(), "application/octet-stream"))
                .post("/form", r -> Response.json(Map.of("name", String.valueOf(r.form("name")))))
                .get("/hello", r -> Response.text("hello " + r.query("who")))
                .build();
        web.start(WebConfig.builder().root(root).listen("127.0.0.1:0").http2(Http2Options.defaults().withH2c(true)).build(),
                List.of(routes));
        byte[] body = new byte[300_000];
        new Random(3).nextBytes(body);
        Path file = work.resolve("upload.bin");
        Files.write(file, body);
        Curl.Result echo = Curl.h2c(work, base() + "/echo", "--data-binary", "@" + file);
        assertThat(echo.protocol()).isEqualTo("2");
        assertThat(echo.status()).isEqualTo(200);
        assertThat(echo.body()).isEqualTo(body);
        // Without a length: the body comes as DATA frames until the stream ends.
        Curl.Result chunked = Curl.h2c(work, base() + "/echo", "-H", "Content-Length:", "--data-binary", "@" + file);
        assertThat(chunked.body()).isEqualTo(body);
        Curl.Result form = Curl.h2c(work, base() + "/form", "-d", "name=h2");
        assertThat(form.text()).contains("\"name\":\"h2\"");
        assertThat(Curl.h2c(work, base() + "/hello?who=there").text()).isEqualTo("hello there");
        assertThat(Curl.h2c(work, base() + "/static.txt").text()).isEqualTo("from static files");
    }

    @Test
    void aPutThatExpects100ContinueGetsAnInterimHeadersFrameThenItsAnswer() throws Exception {
        Files.createDirectories(root.resolve("dav"));
        web.start(WebConfig.builder().root(root)
                .webdav(new WebConfig.WebDav(true, List.of(Cidr.parse("127.0.0.1/32")), Map.of(), "dav"))
                .http2(Http2Options.defaults().withH2c(true)));
        try (RawH2 c = new RawH2(web.port())) {
            c.request(1, new io.netty.handler.codec.http2.DefaultHttp2Headers().method("PUT").scheme("http")
                    .authority("localhost").path("/dav/continued.txt").add("expect", "100-continue")
                    .add("content-length", "5"), false);
            RawH2.Frame f = c.read();
            while (f != null && !(f.type() == RawH2.HEADERS && f.stream() == 1)) {
                f = c.read();
            }
            assertThat(f).isNotNull();
            assertThat(c.headers(f).status().toString()).isEqualTo("100");
            assertThat(f.endStream()).isFalse();
            c.frame(RawH2.DATA, RawH2.END_STREAM, 1, "hello".getBytes(StandardCharsets.US_ASCII));
            c.flush();
            RawH2.Response r = c.response(1);
            assertThat(r.status()).isEqualTo(201);
        }
        assertThat(Files.readString(root.resolve("dav/continued.txt"))).isEqualTo("hello");
    }

    @Test
    void webDavWritesAndLists() throws Exception {
        Files.createDirectories(root.resolve("dav"));
        web.start(WebConfig.builder().root(root)
                .webdav(new WebConfig.WebDav(true, List.of(Cidr.parse("127.0.0.1/32")), Map.of(), "dav"))
                .http2(Http2Options.defaults().withH2c(true)));
        Path file = work.resolve("put.txt");
        Files.writeString(file, "written over h2");
        Curl.Result put = Curl.h2c(work, base() + "/dav/new.txt", "-T", file.toString());
        assertThat(put.status()).isEqualTo(201);
        assertThat(Files.readString(root.resolve("dav/new.txt"))).isEqualTo("written over h2");
        Curl.Result list = Curl.h2c(work, base() + "/dav/", "-X", "PROPFIND", "-H", "Depth: 1");
        assertThat(list.status()).isEqualTo(207);
        assertThat(list.text()).contains("/dav/new.txt");
        Curl.Result mkcol = Curl.h2c(work, base() + "/dav/sub/", "-X", "MKCOL");
        assertThat(mkcol.status()).isEqualTo(201);
        Curl.Result delete = Curl.h2c(work, base() + "/dav/new.txt", "-X", "DELETE");
        assertThat(delete.status()).isEqualTo(204);
        assertThat(root.resolve("dav/new.txt")).doesNotExist();
        assertThat(new String(Curl.h2c(work, base() + "/dav/sub/", "-X", "PROPFIND", "-H", "Depth: 0").body(),
                StandardCharsets.UTF_8)).contains("collection");
    }
}
