package dev.portico.proxy;

import dev.portico.testing.ManualClock;
import dev.portico.proxy.cache.CacheConfig;
import dev.portico.proxy.cache.HttpDate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Range requests answered from stored entries (206, multipart, 416, If-Range) and Range misses. */
@Timeout(30)
class CacheRangeTest {

    private static final String BODY = "0123456789";
    private static final String ETAG = "\"v1\"";
    private static final String MODIFIED = HttpDate.format(1_700_000_000_000L);

    private final ProxyHarness h = new ProxyHarness(new ManualClock());

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    /**
     * A backend that honours a simple {@code bytes=A-B} itself (so a Range passed through is
     * visible), and otherwise answers the whole body with validators.
     */
    private static boolean answer(Origin.Seen req, OutputStream out, String body, String... headers) throws IOException {
        String range = req.head().get("range");
        if (range == null) {
            String[] all = new String[headers.length + 2];
            System.arraycopy(headers, 0, all, 0, headers.length);
            all[headers.length] = "ETag: " + ETAG;
            all[headers.length + 1] = "Last-Modified: " + MODIFIED;
            return Replies.write(out, 200, body, all);
        }
        String[] ends = range.substring(6).split("-");
        int first = Integer.parseInt(ends[0]);
        int last = Integer.parseInt(ends[1]);
        String part = body.substring(first, last + 1);
        String head = "HTTP/1.1 206 Partial\r\nContent-Range: bytes " + first + "-" + last + "/" + body.length()
                + "\r\nContent-Length: " + part.length() + "\r\n\r\n" + part;
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return true;
    }

    private Origin start(CacheConfig cache, String body, String... headers) throws IOException {
        Origin o = h.origin("o", (req, in, out) -> answer(req, out, body, headers));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o)).cache(cache).build());
        return o;
    }

    private Origin start(String... headers) throws IOException {
        return start(CacheConfig.builder().build(), BODY, headers);
    }

    @Test
    void aSingleRangeOfAStoredEntryIs206FromTheCache() throws Exception {
        Origin o = start("Cache-Control: max-age=60", "Content-Type: text/plain");
        assertThat(h.get("x", "/r").header("x-cache")).isEqualTo("MISS");
        Http.Response part = h.get("x", "/r", "Range: bytes=2-5");
        assertThat(part.status()).isEqualTo(206);
        assertThat(part.header("x-cache")).isEqualTo("HIT");
        assertThat(part.header("content-range")).isEqualTo("bytes 2-5/10");
        assertThat(part.header("content-length")).isEqualTo("4");
        assertThat(part.header("content-type")).isEqualTo("text/plain");
        assertThat(part.header("etag")).isEqualTo(ETAG);
        assertThat(part.text()).isEqualTo("2345");
        Http.Response suffix = h.get("x", "/r", "Range: bytes=-3");
        assertThat(suffix.header("content-range")).isEqualTo("bytes 7-9/10");
        assertThat(suffix.text()).isEqualTo("789");
        Http.Response open = h.get("x", "/r", "Range: bytes=8-");
        assertThat(open.text()).isEqualTo("89");
        assertThat(o.seen).hasSize(1);
    }

    @Test
    void severalRangesAreMultipartByteranges() throws Exception {
        Origin o = start("Cache-Control: max-age=60", "Content-Type: text/plain");
        h.get("x", "/m");
        Http.Response multi = h.get("x", "/m", "Range: bytes=0-1, 7-9");
        assertThat(multi.status()).isEqualTo(206);
        assertThat(multi.header("x-cache")).isEqualTo("HIT");
        String type = multi.header("content-type");
        assertThat(type).startsWith("multipart/byteranges; boundary=");
        String boundary = type.substring(type.indexOf('=') + 1);
        assertThat(Long.parseLong(multi.header("content-length"))).isEqualTo(multi.body().length);
        assertThat(multi.text()).isEqualTo("\r\n--" + boundary + "\r\nContent-Type: text/plain\r\n"
                + "Content-Range: bytes 0-1/10\r\n\r\n01"
                + "\r\n--" + boundary + "\r\nContent-Type: text/plain\r\nContent-Range: bytes 7-9/10\r\n\r\n789"
                + "\r\n--" + boundary + "--\r\n");
        assertThat(o.seen).hasSize(1);
    }

    @Test
    void anUnsatisfiableRangeIs416AndABadOneIsIgnored() throws Exception {
        Origin o = start("Cache-Control: max-age=60");
        h.get("x", "/u");
        Http.Response none = h.get("x", "/u", "Range: bytes=50-60");
        assertThat(none.status()).isEqualTo(416);
        assertThat(none.header("content-range")).isEqualTo("bytes */10");
        assertThat(none.header("x-cache")).isEqualTo("HIT");
        assertThat(none.body()).isEmpty();
        Http.Response bad = h.get("x", "/u", "Range: lines=1-2");
        assertThat(bad.status()).isEqualTo(200);
        assertThat(bad.text()).isEqualTo(BODY);
        assertThat(o.seen).hasSize(1);
    }

    @Test
    void ifRangeNeedsTheStrongValidatorOrTheExactDate() throws Exception {
        Origin o = start("Cache-Control: max-age=60");
        h.get("x", "/i");
        assertThat(h.get("x", "/i", "Range: bytes=0-0", "If-Range: " + ETAG).status()).isEqualTo(206);
        assertThat(h.get("x", "/i", "Range: bytes=0-0", "If-Range: " + MODIFIED).status()).isEqualTo(206);
        Http.Response changed = h.get("x", "/i", "Range: bytes=0-0", "If-Range: \"v0\"");
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.text()).isEqualTo(BODY);
        assertThat(h.get("x", "/i", "Range: bytes=0-0", "If-Range: W/" + ETAG).status()).isEqualTo(200);
        assertThat(h.get("x", "/i", "Range: bytes=0-0", "If-Range: " + HttpDate.format(1_600_000_000_000L)).status())
                .isEqualTo(200);
        assertThat(o.seen).hasSize(1);
    }

    @Test
    void aRangeMissFetchesTheWholeObjectStoresItAndAnswersTheRange() throws Exception {
        Origin o = start("Cache-Control: max-age=60");
        Http.Response miss = h.get("x", "/f", "Range: bytes=3-4", "If-Range: " + ETAG);
        assertThat(miss.status()).isEqualTo(206);
        assertThat(miss.header("x-cache")).isEqualTo("MISS");
        assertThat(miss.header("content-range")).isEqualTo("bytes 3-4/10");
        assertThat(miss.text()).isEqualTo("34");
        assertThat(o.seen).hasSize(1);
        assertThat(o.seen.getFirst().head().get("range")).isNull();
        assertThat(o.seen.getFirst().head().get("if-range")).isNull();
        Http.Response whole = h.get("x", "/f");
        assertThat(whole.header("x-cache")).isEqualTo("HIT");
        assertThat(whole.text()).isEqualTo(BODY);
        assertThat(o.seen).hasSize(1);
    }

    @Test
    void aRangeMissOnAnObjectTooLargeToStoreIsSlicedFromTheOneResponse() throws Exception {
        String big = "abcdefghij".repeat(300);
        Origin o = start(CacheConfig.builder().maxObjectSize(1000).build(), big, "Cache-Control: max-age=60");
        Http.Response part = h.get("x", "/big", "Range: bytes=10-14");
        assertThat(part.status()).isEqualTo(206);
        assertThat(part.header("x-cache")).isEqualTo("MISS");
        assertThat(part.header("content-range")).isEqualTo("bytes 10-14/3000");
        assertThat(part.header("content-length")).isEqualTo("5");
        assertThat(part.header("etag")).isEqualTo(ETAG);
        assertThat(part.text()).isEqualTo("abcde");
        Http.Response tail = h.get("x", "/big", "Range: bytes=-12");
        assertThat(tail.header("content-range")).isEqualTo("bytes 2988-2999/3000");
        assertThat(tail.text()).isEqualTo("ijabcdefghij");
        Http.Response none = h.get("x", "/big", "Range: bytes=5000-6000");
        assertThat(none.status()).isEqualTo(416);
        assertThat(none.header("content-range")).isEqualTo("bytes */3000");
        // several ranges of a body too large to read whole: the 200 goes out as it is (RFC 9110 §14.2)
        Http.Response several = h.get("x", "/big", "Range: bytes=0-1, 5-6");
        assertThat(several.status()).isEqualTo(200);
        assertThat(several.text()).isEqualTo(big);
        // the backend was asked once per request, never with the Range
        assertThat(o.seen).hasSize(4);
        assertThat(o.seen).allSatisfy(s -> assertThat(s.head().get("range")).isNull());
    }

    @Test
    void aSliceOfALargeBodyClosesItsUpstreamConnectionInsteadOfReadingTheRest() throws Exception {
        String big = "abcdefghij".repeat(100_000);
        Origin o = start(CacheConfig.builder().maxObjectSize(1000).build(), big, "Cache-Control: max-age=60");
        try (ProxyHarness.Client c = h.client()) {
            Http.Response part = c.get("x", "/big", "Range: bytes=3-5");
            assertThat(part.status()).isEqualTo(206);
            assertThat(part.header("content-range")).isEqualTo("bytes 3-5/1000000");
            assertThat(part.text()).isEqualTo("def");
            Http.Response whole = c.get("x", "/big");
            assertThat(whole.text()).isEqualTo(big);
        }
        assertThat(o.seen).hasSize(2);
        // the 206's connection was not read to its end and reused: the next fetch needed another
        assertThat(o.connections.get()).isEqualTo(2);
    }

    /** A chunked 200 of {@code body} in pieces of 100 bytes, whatever the request. */
    private static boolean chunked(OutputStream out, String body) throws IOException {
        StringBuilder s = new StringBuilder("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nETag: " + ETAG
                + "\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < body.length(); i += 100) {
            String piece = body.substring(i, Math.min(body.length(), i + 100));
            s.append(Integer.toHexString(piece.length())).append("\r\n").append(piece).append("\r\n");
        }
        out.write(s.append("0\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return true;
    }

    @Test
    void aRangeMissOnAChunkedBodyThatOutgrowsTheLimitIsAnsweredFromTheOneResponse() throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; b.length() < 3000; i++) {
            b.append(String.format("%09d|", i));
        }
        String big = b.toString();
        Origin o = h.origin("o", (req, in, out) -> chunked(out, big));
        h.start(ProxyHarness.config().pool("*", ProxyHarness.pool("roundrobin", o))
                .cache(CacheConfig.builder().maxObjectSize(1000).build()).build());
        ProxyHarness.Client c = h.client();
        // within the bytes read when the body outgrew the limit: a 206 of unknown total length
        Http.Response part = c.get("x", "/big", "Range: bytes=10-14");
        assertThat(part.status()).isEqualTo(206);
        assertThat(part.header("x-cache")).isEqualTo("MISS");
        assertThat(part.header("content-range")).isEqualTo("bytes 10-14/*");
        assertThat(part.text()).isEqualTo(big.substring(10, 15));
        assertThat(o.seen).hasSize(1);
        // past them, a suffix, or several ranges: the whole 200 (RFC 9110 §14.2)
        for (String range : new String[] {"bytes=2000-2009", "bytes=-12", "bytes=0-1, 5-6", "bytes=100-"}) {
            Http.Response whole = c.get("x", "/big", "Range: " + range);
            assertThat(whole.status()).as(range).isEqualTo(200);
            assertThat(whole.text()).as(range).isEqualTo(big);
        }
        Http.Response changed = c.get("x", "/big", "Range: bytes=10-14", "If-Range: \"v0\"");
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.text()).isEqualTo(big);
        // the backend was asked once per request, never with the Range
        assertThat(o.seen).hasSize(6);
        assertThat(o.seen).allSatisfy(s -> assertThat(s.head().get("range")).isNull());
        c.close();
        // the slice's upstream connection was closed once the slice was sent, not read to its end
        // and kept; the whole 200s then shared one
        assertThat(o.connections.get()).isEqualTo(2);
    }

    @Test
    void aRangeMissOnAnUnstorableResponseIsAnsweredFromTheOneResponse() throws Exception {
        Origin o = start("Cache-Control: no-store", "Set-Cookie: id=1", "Content-Type: text/plain");
        Http.Response part = h.get("x", "/ns", "Range: bytes=0-2");
        assertThat(part.status()).isEqualTo(206);
        assertThat(part.header("x-cache")).isEqualTo("MISS");
        assertThat(part.header("content-range")).isEqualTo("bytes 0-2/10");
        assertThat(part.header("set-cookie")).isEqualTo("id=1");
        assertThat(part.text()).isEqualTo("012");
        Http.Response multi = h.get("x", "/ns", "Range: bytes=0-1, 7-9");
        assertThat(multi.status()).isEqualTo(206);
        assertThat(multi.header("content-type")).startsWith("multipart/byteranges; boundary=");
        assertThat(multi.header("set-cookie")).isEqualTo("id=1");
        assertThat(multi.text()).contains("Content-Range: bytes 0-1/10\r\n\r\n01")
                .contains("Content-Range: bytes 7-9/10\r\n\r\n789");
        assertThat(h.get("x", "/ns", "Range: bytes=10-20").status()).isEqualTo(416);
        Http.Response changed = h.get("x", "/ns", "Range: bytes=0-2", "If-Range: \"v0\"");
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.text()).isEqualTo(BODY);
        Http.Response same = h.get("x", "/ns", "Range: bytes=0-2", "If-Range: " + ETAG);
        assertThat(same.status()).isEqualTo(206);
        assertThat(o.seen).hasSize(5);
        assertThat(o.seen).allSatisfy(s -> assertThat(s.head().get("range")).isNull());
    }

    @Test
    void aRangeOnAHeadIsIgnored() throws Exception {
        Origin o = start("Cache-Control: max-age=60");
        h.get("x", "/hd");
        try (ProxyHarness.Client c = h.client()) {
            c.send("HEAD /hd HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\n\r\n");
            Http.Response head = c.read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-length")).isEqualTo("10");
            c.send("GET /hd HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\n\r\n");
            assertThat(c.read(false).text()).isEqualTo("01");
        }
        assertThat(o.seen).hasSize(1);
    }
}
