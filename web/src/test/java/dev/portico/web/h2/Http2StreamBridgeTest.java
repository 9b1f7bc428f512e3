package dev.portico.web.h2;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The bridge alone: frames to HTTP/1.1 messages, HTTP/1.1 bytes to frames, however they are split. */
class Http2StreamBridgeTest {

    private final EmbeddedChannel ch = new EmbeddedChannel(new Http2StreamBridge());

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private void request(String method, boolean endStream) {
        ch.writeInbound(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method(method).scheme("http")
                .authority("example.test:8080").path("/p?q=1").add("cookie", "a=1").add("cookie", "b=2")
                .add("x-one", "1"), endStream));
    }

    @Test
    void headersBecomeARequestWithHostAndOneCookieLine() {
        request("GET", true);
        HttpRequest r = ch.readInbound();
        assertThat(r.method().name()).isEqualTo("GET");
        assertThat(r.uri()).isEqualTo("/p?q=1");
        assertThat(r.headers().get("host")).isEqualTo("example.test:8080");
        assertThat(r.headers().getAll("cookie")).containsExactly("a=1; b=2");
        assertThat(r.headers().get("x-one")).isEqualTo("1");
        assertThat(r.headers().contains("transfer-encoding")).isFalse();
        assertThat((Object) ch.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    @Test
    void aBodyWithoutLengthIsChunkedAndTrailersEndIt() {
        request("POST", false);
        HttpRequest r = ch.readInbound();
        assertThat(r.headers().get("transfer-encoding")).isEqualTo("chunked");
        ch.writeInbound(new DefaultHttp2DataFrame(ascii("part"), false));
        HttpContent c = ch.readInbound();
        assertThat(c.content().toString(StandardCharsets.US_ASCII)).isEqualTo("part");
        c.release();
        ch.writeInbound(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().add("x-trailer", "t"), true));
        assertThat((Object) ch.readInbound()).isInstanceOf(LastHttpContent.class);
    }

    @Test
    void aTargetWithASpaceFailsAsTheHttp1DecoderWould() {
        ch.writeInbound(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("GET").scheme("http")
                .authority("a").path("/a b"), true));
        HttpRequest r = ch.readInbound();
        assertThat(r.decoderResult().isFailure()).isTrue();
        ch.releaseInbound();
    }

    /** Writes the bytes in pieces of {@code step}, as the exchange might, and returns the frames. */
    private Frames respond(String bytes, int step) {
        byte[] all = bytes.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < all.length; i += step) {
            ch.writeOutbound(Unpooled.wrappedBuffer(all, i, Math.min(step, all.length - i)));
        }
        Frames f = new Frames();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            if (o instanceof Http2HeadersFrame h) {
                f.heads.add(h);
                f.ended |= h.isEndStream();
            } else if (o instanceof Http2DataFrame d) {
                assertThat(f.ended).as("no DATA after the end").isFalse();
                f.body.writeBytes(ByteBufUtil.getBytes(d.content()));
                f.ended |= d.isEndStream();
                d.release();
            }
        }
        return f;
    }

    private static final class Frames {
        final java.util.List<Http2HeadersFrame> heads = new java.util.ArrayList<>();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        boolean ended;
    }

    @Test
    void aLengthFramedResponseSplitAnywhere() {
        String response = "HTTP/1.1 200 OK\r\nDate: x\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n"
                + "Connection: close\r\nKeep-Alive: timeout=5\r\n\r\nhello world";
        for (int step : new int[] {1, 3, 17, 1000}) {
            EmbeddedChannel fresh = new EmbeddedChannel(new Http2StreamBridge());
            try {
                fresh.writeInbound(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("GET").path("/")
                        .authority("a"), true));
                fresh.releaseInbound();
                byte[] all = response.getBytes(StandardCharsets.ISO_8859_1);
                for (int i = 0; i < all.length; i += step) {
                    fresh.writeOutbound(Unpooled.wrappedBuffer(all, i, Math.min(step, all.length - i)));
                }
                Http2HeadersFrame head = fresh.readOutbound();
                assertThat(head.headers().status().toString()).isEqualTo("200");
                assertThat(head.headers().get("content-type").toString()).isEqualTo("text/plain");
                assertThat(head.headers().contains("connection")).isFalse();
                assertThat(head.headers().contains("keep-alive")).isFalse();
                assertThat(head.isEndStream()).isFalse();
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                boolean ended = false;
                Http2DataFrame d;
                while ((d = fresh.readOutbound()) != null) {
                    body.writeBytes(ByteBufUtil.getBytes(d.content()));
                    ended = d.isEndStream();
                    d.release();
                }
                assertThat(body.toString(StandardCharsets.US_ASCII)).as("step " + step).isEqualTo("hello world");
                assertThat(ended).isTrue();
            } finally {
                fresh.finishAndReleaseAll();
            }
        }
    }

    @Test
    void aChunkedResponseIsDechunked() {
        request("GET", true);
        ch.releaseInbound();
        Frames f = respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 4);
        assertThat(f.heads).hasSize(1);
        assertThat(f.heads.getFirst().headers().contains("transfer-encoding")).isFalse();
        assertThat(f.body.toString(StandardCharsets.US_ASCII)).isEqualTo("hello world");
        assertThat(f.ended).isTrue();
    }

    @Test
    void anInterimHeadThenTheFinalOne() {
        request("POST", false);
        ch.releaseInbound();
        Frames f = respond("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", 1000);
        assertThat(f.heads).hasSize(2);
        assertThat(f.heads.get(0).headers().status().toString()).isEqualTo("100");
        assertThat(f.heads.get(0).isEndStream()).isFalse();
        assertThat(f.heads.get(1).headers().status().toString()).isEqualTo("201");
        assertThat(f.body.toString(StandardCharsets.US_ASCII)).isEqualTo("ok");
        assertThat(f.ended).isTrue();
    }

    @Test
    void headAndNotModifiedEndWithTheirHeaders() {
        request("HEAD", true);
        ch.releaseInbound();
        Frames head = respond("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", 1000);
        assertThat(head.heads).hasSize(1);
        assertThat(head.heads.getFirst().isEndStream()).isTrue();
        assertThat(head.heads.getFirst().headers().get("content-length").toString()).isEqualTo("1000");
        assertThat(head.body.size()).isZero();
    }

    @Test
    void notModifiedEndsWithItsHeaders() {
        request("GET", true);
        ch.releaseInbound();
        Frames f = respond("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 10\r\n\r\n", 7);
        assertThat(f.heads).hasSize(1);
        assertThat(f.heads.getFirst().isEndStream()).isTrue();
        assertThat(f.heads.getFirst().headers().status().toString()).isEqualTo("304");
    }
}
