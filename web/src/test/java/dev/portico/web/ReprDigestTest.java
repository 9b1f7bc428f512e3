package dev.portico.web;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Repr-Digest (RFC 9530) on GET and HEAD of static files, when Want-Repr-Digest asks for sha-256. */
@Timeout(30)
class ReprDigestTest {

    @TempDir
    Path root;
    WebHarness web;
    byte[] big;

    @BeforeEach
    void setUp() throws Exception {
        Files.writeString(root.resolve("hello.txt"), "hello world");
        big = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        web = new WebHarness();
        web.start(dev.portico.web.WebConfig.builder().root(root)
                .gzip(new WebConfig.Gzip(true, java.util.List.of("txt"), 0, 100_000_000, 6, root.resolve(".gz"))));
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    static String sha256(byte[] bytes) throws Exception {
        return "sha-256=:" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(bytes)) + ":";
    }

    @Test
    void getAndHeadCarryTheDigestOfTheFile() throws Exception {
        HttpResponse<String> r = web.get("/hello.txt", "Want-Repr-Digest", "sha-512=3, sha-256=10");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello world");
        assertThat(r.headers().firstValue("repr-digest")).hasValue(sha256("hello world".getBytes()));
        HttpResponse<String> head = web.send("HEAD", "/hello.txt", null, "Want-Repr-Digest", "sha-256=1");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("repr-digest")).hasValue(sha256("hello world".getBytes()));
        assertThat(head.headers().firstValue("content-length")).hasValue("11");
    }

    @Test
    void aLargeFileIsHashedOffTheLoopAndServedWhole() throws Exception {
        HttpResponse<byte[]> r = web.getBytes("/big.bin", "Want-Repr-Digest", "sha-256=5");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(big);
        assertThat(r.headers().firstValue("repr-digest")).hasValue(sha256(big));
        // the second time from the digest cache, same value
        HttpResponse<String> head = web.send("HEAD", "/big.bin", null, "Want-Repr-Digest", "sha-256=5");
        assertThat(head.headers().firstValue("repr-digest")).hasValue(sha256(big));
    }

    @Test
    void aChangedFileGetsANewDigest() throws Exception {
        Path f = root.resolve("hello.txt");
        assertThat(web.get("/hello.txt", "Want-Repr-Digest", "sha-256=1").headers().firstValue("repr-digest"))
                .hasValue(sha256("hello world".getBytes()));
        // same size, another content: the modification time moves
        Files.writeString(f, "HELLO WORLD");
        Files.setLastModifiedTime(f, FileTime.from(Instant.now().plusSeconds(5)));
        HttpResponse<String> r = web.get("/hello.txt", "Want-Repr-Digest", "sha-256=1");
        assertThat(r.body()).isEqualTo("HELLO WORLD");
        assertThat(r.headers().firstValue("repr-digest")).hasValue(sha256("HELLO WORLD".getBytes()));
    }

    @Test
    void theDigestIsOfTheFileEvenForAGzipClient() throws Exception {
        HttpResponse<byte[]> r = web.getBytes("/hello.txt", "Want-Repr-Digest", "sha-256=1", "Accept-Encoding", "gzip");
        assertThat(r.headers().firstValue("content-encoding")).isEmpty();
        assertThat(r.body()).isEqualTo("hello world".getBytes());
        assertThat(r.headers().firstValue("repr-digest")).hasValue(sha256("hello world".getBytes()));
    }

    @Test
    void noDigestUnlessSha256IsAskedFor() throws Exception {
        assertThat(web.get("/hello.txt").headers().firstValue("repr-digest")).isEmpty();
        for (String want : new String[] {"sha-256=0", "sha-512=10", "unixsum=3", "sha-256=?1", "sha-256=11",
                "sha-256=1, sha-256=0", "sha-256=1,", "SHA-256=1", "sha-256=1;q=\"x", "sha-256=1 sha-512=2"}) {
            HttpResponse<String> r = web.get("/hello.txt", "Want-Repr-Digest", want);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("repr-digest")).as(want).isEmpty();
        }
        for (String want : new String[] {"sha-256=1", "unixsum=3;a=\"b,c\", sha-256=2", "sha-256=0, sha-256=4",
                "md5=(1 2), sha-256=3;x=?0", " sha-256=9 "}) {
            assertThat(web.get("/hello.txt", "Want-Repr-Digest", want).headers().firstValue("repr-digest")).as(want)
                    .hasValue(sha256("hello world".getBytes()));
        }
    }

    @Test
    void missingFilesAndDirectoriesAnswerAsWithoutTheField() throws Exception {
        assertThat(web.get("/nope.txt", "Want-Repr-Digest", "sha-256=1").statusCode()).isEqualTo(404);
        Files.createDirectories(root.resolve("d"));
        assertThat(web.get("/d", "Want-Repr-Digest", "sha-256=1").statusCode()).isEqualTo(301);
        assertThat(web.get("/d/", "Want-Repr-Digest", "sha-256=1").statusCode()).isEqualTo(403);
    }
}
