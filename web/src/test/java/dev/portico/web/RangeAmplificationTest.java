package dev.portico.web;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Range headers that would make a response larger than the file, or cost one part per byte. */
@Timeout(30)
class RangeAmplificationTest {

    @TempDir
    Path root;
    WebHarness web;
    byte[] big;

    @BeforeEach
    void setUp() throws Exception {
        Files.writeString(root.resolve("abc.txt"), "abcdefghijklmnopqrstuvwxyz");
        big = new byte[300_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) ('a' + i % 23);
        }
        Files.write(root.resolve("big.bin"), big);
        web = new WebHarness();
        web.start(WebConfig.builder().root(root));
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    @Test
    void overlappingRangesAreMergedIntoOne() throws Exception {
        HttpResponse<String> r = web.get("/abc.txt", "Range", "bytes=0-9,5-14,2-3");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes 0-14/26");
        assertThat(r.body()).isEqualTo("abcdefghijklmno");
    }

    @Test
    void adjacentRangesAreMergedIntoOne() throws Exception {
        HttpResponse<String> r = web.get("/abc.txt", "Range", "bytes=0-4,5-9");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes 0-9/26");
        assertThat(r.body()).isEqualTo("abcdefghij");
    }

    @Test
    void rangesStayInRequestOrderWhenDisjoint() throws Exception {
        HttpResponse<String> r = web.get("/abc.txt", "Range", "bytes=20-21,0-1");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("multipart/byteranges");
        assertThat(r.body().indexOf("bytes 20-21/26")).isLessThan(r.body().indexOf("bytes 0-1/26"));
    }

    @Test
    void theWholeFileManyTimesIsAnsweredOnceWith200() throws Exception {
        StringBuilder spec = new StringBuilder("bytes=0-");
        for (int i = 0; i < 10; i++) {
            spec.append(",0-");
        }
        HttpResponse<byte[]> r = web.getBytes("/big.bin", "Range", spec.toString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(big);
    }

    @Test
    void overlappingRangesLargerThanTheFileTogetherGetTheWholeFile() throws Exception {
        // listed one by one they add up past the file's size
        HttpResponse<byte[]> r = web.getBytes("/big.bin", "Range", "bytes=0-200000,100000-299999,-250000");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(big);
    }

    @Test
    void manySmallRangesGetTheWholeFile() throws Exception {
        StringBuilder spec = new StringBuilder("bytes=");
        for (int i = 0; i < 17; i++) {
            spec.append(i == 0 ? "" : ",").append(i * 1000).append('-').append(i * 1000);
        }
        HttpResponse<byte[]> r = web.getBytes("/big.bin", "Range", spec.toString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(big);
    }

    @Test
    void sixteenRangesAreStillHonoured() throws Exception {
        StringBuilder spec = new StringBuilder("bytes=");
        for (int i = 0; i < 16; i++) {
            spec.append(i == 0 ? "" : ",").append(i * 1000).append('-').append(i * 1000);
        }
        HttpResponse<String> r = web.get("/big.bin", "Range", spec.toString());
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.body()).contains("Content-Range: bytes 15000-15000/300000");
    }

    @Test
    void manyRangesOfWhichNoneIsSatisfiableAre416() throws Exception {
        StringBuilder spec = new StringBuilder("bytes=");
        for (int i = 0; i < 40; i++) {
            spec.append(i == 0 ? "" : ",").append(400_000 + i).append('-');
        }
        HttpResponse<String> r = web.get("/big.bin", "Range", spec.toString());
        assertThat(r.statusCode()).isEqualTo(416);
        assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes */300000");
    }

    @Test
    void anOpenRangeFromTheEndOrBeyondIs416() throws Exception {
        for (String path : new String[] {"/abc.txt", "/big.bin"}) {
            long length = Files.size(root.resolve(path.substring(1)));
            for (long start : new long[] {length, length + 1, length * 10}) {
                HttpResponse<String> r = web.get(path, "Range", "bytes=" + start + "-");
                assertThat(r.statusCode()).as(path + " from " + start).isEqualTo(416);
                assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes */" + length);
            }
        }
        HttpResponse<String> last = web.get("/abc.txt", "Range", "bytes=25-");
        assertThat(last.statusCode()).isEqualTo(206);
        assertThat(last.body()).isEqualTo("z");
    }
}
