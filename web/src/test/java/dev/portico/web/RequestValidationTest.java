package dev.portico.web;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Request targets and Host fields the decoder refuses, over raw sockets. */
@Timeout(30)
class RequestValidationTest {

    @TempDir
    Path base;
    Path root;
    WebHarness web;

    @BeforeEach
    void setUp() throws Exception {
        root = Files.createDirectories(base.resolve("www"));
        Files.writeString(root.resolve("ok.txt"), "fine");
        Files.writeString(root.resolve("caf\u00e9.txt"), "accent");
        web = new WebHarness();
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    /** Sends raw bytes (given as ISO-8859-1 text) and reads until the server closes. */
    private String send(String raw) throws Exception {
        try (Socket s = web.socket()) {
            return WebHarness.exchange(s, raw, null);
        }
    }

    private static String get(String target, String hostLines) {
        return "GET " + target + " HTTP/1.1\r\n" + hostLines + "Connection: close\r\n\r\n";
    }

    @ParameterizedTest
    @ValueSource(strings = {"/ok.txt#frag", "/ok.txt?a=1#frag", "/#", "/ok\u0000.txt", "/ok\u0001.txt",
            "/ok\u001f.txt", "/ok\u007f.txt", "/ok\t.txt", "/ok.txt\u000b", "/ok.txt\u000c"})
    void targetsWithFragmentsOrControlBytesAreRefused(String target) throws Exception {
        web.start(WebConfig.builder().root(root));
        String r = send(get(target, "Host: h\r\n"));
        assertThat(r).startsWith("HTTP/1.1 400").contains("Connection: close").doesNotContain("fine");
    }

    @Test
    void aSpaceInsideTheTargetIsRefused() throws Exception {
        web.start(WebConfig.builder().root(root));
        assertThat(send("GET /ok.txt x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 400")
                .doesNotContain("fine");
        assertThat(send("GET /ok.txt  HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 400")
                .doesNotContain("fine");
    }

    @Test
    void rawBytesAbove127AreTakenAsTheirPercentEncoding() throws Exception {
        web.start(WebConfig.builder().root(root));
        String utf8 = new String("/caf\u00e9.txt".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        assertThat(send(get(utf8, "Host: h\r\n"))).startsWith("HTTP/1.1 200").endsWith("accent");
        assertThat(send(get("/caf%C3%A9.txt", "Host: h\r\n"))).startsWith("HTTP/1.1 200").endsWith("accent");
        // a lone Latin-1 byte is not UTF-8 once encoded: refused like its %E9 form
        assertThat(send(get("/caf\u00e9.txt", "Host: h\r\n"))).startsWith("HTTP/1.1 400");
    }

    @Test
    void aSecondHostIsRefused() throws Exception {
        web.start(WebConfig.builder().root(root));
        assertThat(send(get("/ok.txt", "Host: a\r\nHost: b\r\n"))).startsWith("HTTP/1.1 400").doesNotContain("fine");
        assertThat(send(get("/ok.txt", "Host: a\r\nHost: a\r\n"))).startsWith("HTTP/1.1 400").doesNotContain("fine");
    }

    @Test
    void aMissingHostIsRefusedOnHttp11Only() throws Exception {
        web.start(WebConfig.builder().root(root));
        assertThat(send(get("/ok.txt", ""))).startsWith("HTTP/1.1 400");
        assertThat(send("GET /ok.txt HTTP/1.0\r\n\r\n")).startsWith("HTTP/1.0 200").endsWith("fine");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/b", "a@b", "user@h", "a b", "h:8o", "h:65536", "h:99999999999", "h:-1",
            "[::1]x", "h\\x", "h#", "h?", "h<", "\"h\"", "[::1", "h:80:80", "h\u00e9"})
    void malformedHostsAreRefused(String host) throws Exception {
        web.start(WebConfig.builder().root(root));
        assertThat(send(get("/ok.txt", "Host: " + host + "\r\n"))).startsWith("HTTP/1.1 400").doesNotContain("fine");
    }

    @Test
    void controlBytesInHostAreRefused() throws Exception {
        web.start(WebConfig.builder().root(root));
        for (String host : new String[] {"a\u0001b", "a\u007fb", "a\tb"}) {
            assertThat(send(get("/ok.txt", "Host: " + host + "\r\n"))).as(host).startsWith("HTTP/1.1 400");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "h", "h:80", "h:65535", "H.Example.COM.", "127.0.0.1:8080", "[::1]", "[::1]:8080", "h:", "[::1]:",
            "xn--bcher-kva.example", "a_b.example", "%41.example"})
    void wellFormedHostsAreServed(String host) throws Exception {
        web.start(WebConfig.builder().root(root));
        assertThat(send(get("/ok.txt", "Host: " + host + "\r\n"))).startsWith("HTTP/1.1 200").endsWith("fine");
    }

    @Test
    void virtualHostsMatchCaseAndOneTrailingDot(@TempDir Path other) throws Exception {
        Files.writeString(other.resolve("ok.txt"), "other");
        web.start(WebConfig.builder().root(root).host("example.com", other));
        assertThat(send(get("/ok.txt", "Host: example.com\r\n"))).endsWith("other");
        assertThat(send(get("/ok.txt", "Host: EXAMPLE.Com.\r\n"))).endsWith("other");
        assertThat(send(get("/ok.txt", "Host: example.com.:80\r\n"))).endsWith("other");
        assertThat(send(get("/ok.txt", "Host: example.org\r\n"))).endsWith("fine");
    }

    @Test
    void aRefusedTargetStopsThePipeline() throws Exception {
        web.start(WebConfig.builder().root(root));
        try (Socket s = web.socket()) {
            OutputStream out = s.getOutputStream();
            out.write(("GET /ok.txt#x HTTP/1.1\r\nHost: h\r\n\r\nGET /ok.txt HTTP/1.1\r\nHost: h\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            assertThat(WebHarness.readUntil(s, null)).startsWith("HTTP/1.1 400").doesNotContain("fine");
        }
    }
}
