package dev.portico.web;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The static file server reads all three HTTP date forms (RFC 9110 §5.6.7) in its conditionals. */
@Timeout(30)
class HttpDateFormsTest {

    @TempDir
    Path root;
    WebHarness web;

    @BeforeEach
    void setUp() throws Exception {
        Path file = root.resolve("old.txt");
        Files.writeString(file, "abcdefghij");
        // Last-Modified: Sat, 01 Jan 2000 00:00:00 GMT
        Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2000-01-01T00:00:00Z")));
        Path older = root.resolve("1990.txt");
        Files.writeString(older, "0123456789");
        // a Monday; 2090-01-01, the reading of "90" as 20xx, is a Sunday
        Files.setLastModifiedTime(older, FileTime.from(Instant.parse("1990-01-01T00:00:00Z")));
        web = new WebHarness();
        web.start(WebConfig.builder().root(root));
    }

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    @Test
    void ifModifiedSinceInEveryForm() throws Exception {
        assertThat(web.get("/old.txt").headers().firstValue("last-modified")).hasValue("Sat, 01 Jan 2000 00:00:00 GMT");
        // RFC 850, two-digit year: 94 is 1994 (2094 is more than 50 years ahead), older than the file
        assertThat(web.get("/old.txt", "If-Modified-Since", "Sunday, 06-Nov-94 08:49:37 GMT").statusCode()).isEqualTo(200);
        assertThat(web.get("/old.txt", "If-Modified-Since", "Saturday, 01-Jan-00 00:00:00 GMT").statusCode()).isEqualTo(304);
        assertThat(web.get("/1990.txt", "If-Modified-Since", "Monday, 01-Jan-90 00:00:00 GMT").statusCode()).isEqualTo(304);
        assertThat(web.get("/1990.txt", "If-Modified-Since", "Sunday, 31-Dec-89 00:00:00 GMT").statusCode()).isEqualTo(200);
        assertThat(web.get("/old.txt", "If-Modified-Since", "Sat Jan  1 00:00:00 2000").statusCode()).isEqualTo(304);
        assertThat(web.get("/old.txt", "If-Modified-Since", "Sun Nov  6 08:49:37 1994").statusCode()).isEqualTo(200);
        assertThat(web.get("/old.txt", "If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT").statusCode()).isEqualTo(304);
        // not dates by the grammar: ignored, so the file is sent
        assertThat(web.get("/old.txt", "If-Modified-Since", "Sat, 1 Jan 2030 00:00:00 GMT").statusCode()).isEqualTo(200);
        assertThat(web.get("/old.txt", "If-Modified-Since", "Tue, 01 Jan 2030 00:00:00 +0000").statusCode()).isEqualTo(200);
        assertThat(web.get("/old.txt", "If-Modified-Since", "01 Jan 2030 00:00:00 GMT").statusCode()).isEqualTo(200);
    }

    @Test
    void ifRangeInEveryForm() throws Exception {
        assertThat(web.get("/old.txt", "Range", "bytes=0-1", "If-Range", "Saturday, 01-Jan-00 00:00:00 GMT").statusCode())
                .isEqualTo(206);
        assertThat(web.get("/old.txt", "Range", "bytes=0-1", "If-Range", "Sat Jan  1 00:00:00 2000").statusCode())
                .isEqualTo(206);
        assertThat(web.get("/old.txt", "Range", "bytes=0-1", "If-Range", "Sunday, 06-Nov-94 08:49:37 GMT").statusCode())
                .isEqualTo(200);
        assertThat(web.get("/1990.txt", "Range", "bytes=0-1", "If-Range", "Monday, 01-Jan-90 00:00:00 GMT").statusCode())
                .isEqualTo(206);
    }
}
