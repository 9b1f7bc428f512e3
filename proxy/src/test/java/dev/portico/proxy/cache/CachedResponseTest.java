package dev.portico.proxy.cache;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What a stored entry works out once for its hits. */
class CachedResponseTest {

    private static final List<String> HEADERS = List.of("Content-Type", "text/plain", "Cache-Control", "max-age=60",
            "ETag", "\"a\"", "Last-Modified", "Mon, 23 Nov 2026 01:00:00 GMT", "X-Other", "1");

    private static CachedResponse entry() {
        return new CachedResponse(200, HEADERS, "hello".getBytes(StandardCharsets.UTF_8), 1, 2, 0, 60_000, 2,
                List.of(), "");
    }

    @Test
    void theHeaderBlocksAreRenderedOnceAndShared() {
        CachedResponse e = entry();
        assertThat(new String(e.headerLines(), StandardCharsets.ISO_8859_1)).isEqualTo("Content-Type: text/plain\r\n"
                + "Cache-Control: max-age=60\r\nETag: \"a\"\r\nLast-Modified: Mon, 23 Nov 2026 01:00:00 GMT\r\n"
                + "X-Other: 1\r\nContent-Length: 5\r\n");
        assertThat(e.headerLines()).isSameAs(e.headerLines());
        assertThat(new String(e.notModifiedLines(), StandardCharsets.ISO_8859_1)).isEqualTo("Cache-Control: max-age=60\r\n"
                + "ETag: \"a\"\r\nLast-Modified: Mon, 23 Nov 2026 01:00:00 GMT\r\n");
        assertThat(new String(e.fieldLines(), StandardCharsets.ISO_8859_1)).doesNotContain("Content-Length");
        assertThat(e.cacheControl().seconds("max-age")).isEqualTo(60);
        assertThat(e.etag()).isEqualTo("\"a\"");
        assertThat(e.lastModified()).isEqualTo("Mon, 23 Nov 2026 01:00:00 GMT");
        assertThat(e.hasValidator()).isTrue();
        assertThat(e.weight()).isGreaterThan(e.body().length + e.headerLines().length);
    }

    @Test
    void aNewLifetimeKeepsTheRenderingAndNewHeadersRenderAgain() throws Exception {
        CachedResponse e = entry();
        assertThat(e.withLifetime(5).derived()).isSameAs(e.derived());
        CachedResponse r = e.revalidated(List.of("ETag", "\"b\""), 3, 4, 0, 10);
        assertThat(r.etag()).isEqualTo("\"b\"");
        assertThat(r.lastModified()).isNull();
        assertThat(new String(r.headerLines(), StandardCharsets.ISO_8859_1)).isEqualTo("ETag: \"b\"\r\nContent-Length: 5\r\n");
        CachedResponse back = CachedResponse.fromMeta(e.meta(), e.body());
        assertThat(back.headerLines()).isEqualTo(e.headerLines());
        CachedResponse empty = new CachedResponse(204, List.of(), new byte[0], 0, 0, 0, 1, 0, List.of(), "");
        assertThat(empty.headerLines()).isEmpty();
        assertThat(empty.hasValidator()).isFalse();
    }
}
