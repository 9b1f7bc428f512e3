package dev.portico.proxy;

import dev.portico.proxy.UpstreamResponseDecoder.Failure;
import dev.portico.proxy.UpstreamResponseDecoder.Last;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The proxy's own response decoder, fed through an embedded channel: framing, limits, refusals. */
class UpstreamResponseDecoderTest {

    private final UpstreamResponseDecoder decoder = new UpstreamResponseDecoder(1024);
    private final EmbeddedChannel ch = new EmbeddedChannel(decoder);

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    /** What came out: heads, failures, and the body of each response as text with "|END" at its end. */
    private record Output(List<UpstreamHead> heads, List<String> failures, List<String> bodies) {
    }

    private Output feed(String... pieces) {
        for (String p : pieces) {
            ch.writeInbound(Unpooled.copiedBuffer(p, StandardCharsets.ISO_8859_1));
        }
        return drain();
    }

    private Output feedByteByByte(String text) {
        for (char c : text.toCharArray()) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[]{(byte) c}));
        }
        return drain();
    }

    private Output drain() {
        List<UpstreamHead> heads = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        Object msg;
        while ((msg = ch.readInbound()) != null) {
            switch (msg) {
                case UpstreamHead h -> heads.add(h);
                case Failure f -> failures.add(f.reason());
                case Last last -> {
                    body.append(last.content().toString(StandardCharsets.ISO_8859_1)).append("|END");
                    bodies.add(body.toString());
                    body.setLength(0);
                    last.release();
                }
                case ByteBuf b -> {
                    body.append(b.toString(StandardCharsets.ISO_8859_1));
                    b.release();
                }
                default -> throw new AssertionError("unexpected " + msg);
            }
        }
        if (!body.isEmpty()) {
            bodies.add(body.toString());
        }
        return new Output(heads, failures, bodies);
    }

    @Test
    void aContentLengthResponseSplitIntoSingleBytes() {
        Output out = feedByteByByte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nETag:  \"x\"  \r\n\r\nhello");
        assertThat(out.failures()).isEmpty();
        assertThat(out.heads()).hasSize(1);
        UpstreamHead h = out.heads().getFirst();
        assertThat(h.status()).isEqualTo(200);
        assertThat(h.contentLength()).isEqualTo(5);
        assertThat(h.chunked()).isFalse();
        assertThat(h.keepAlive()).isTrue();
        assertThat(h.get("etag")).isEqualTo("\"x\"");
        assertThat(h.get("content-type")).isEqualTo("text/plain");
        assertThat(out.bodies()).containsExactly("hello|END");
    }

    @Test
    void chunkedBodiesWithExtensionsAndTrailersThenTheNextResponse() {
        Output out = feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
                "HTTP/1.1 204 No Content\r\n\r\n");
        assertThat(out.failures()).isEmpty();
        assertThat(out.heads()).extracting(UpstreamHead::status).containsExactly(200, 204);
        assertThat(out.heads().getFirst().chunked()).isTrue();
        assertThat(out.bodies()).containsExactly("hello world|END", "|END");
    }

    @Test
    void bareLineFeedsAreAccepted() {
        Output out = feed("HTTP/1.1 200 OK\nContent-Length: 2\n\nok");
        assertThat(out.failures()).isEmpty();
        assertThat(out.bodies()).containsExactly("ok|END");
    }

    @Test
    void aBodyWithoutFramingRunsUntilTheBackendCloses() {
        Output out = feed("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome ", "bytes");
        assertThat(out.heads().getFirst().keepAlive()).isFalse();
        assertThat(out.bodies()).containsExactly("some bytes");
        ch.finish();
        assertThat(drain().bodies()).containsExactly("|END");
    }

    @Test
    void aTruncatedBodyNeverEnds() {
        feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a few");
        ch.finish();
        assertThat(drain().bodies()).isEmpty();
    }

    @Test
    void headResponsesAnd304HaveNoBodyWhateverTheirLength() {
        decoder.expectNoBody(true);
        Output out = feed("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        assertThat(out.heads().getFirst().contentLength()).isEqualTo(1000);
        assertThat(out.bodies()).containsExactly("|END");
        decoder.expectNoBody(false);
        out = feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
        assertThat(out.heads()).extracting(UpstreamHead::status).containsExactly(304, 200);
        assertThat(out.bodies()).containsExactly("|END", "x|END");
    }

    @Test
    void informationalResponsesComeBeforeTheFinalOne() {
        Output out = feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                + "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        assertThat(out.heads()).extracting(UpstreamHead::status).containsExactly(100, 103, 201);
        assertThat(out.bodies()).containsExactly("|END");
    }

    @Test
    void afterSwitchingProtocolsBytesPassAsTheyCome() {
        Output out = feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u0081\u0002hi");
        assertThat(out.heads()).extracting(UpstreamHead::status).containsExactly(101);
        assertThat(out.bodies()).containsExactly("\u0081\u0002hi");
    }

    @Test
    void http10KeepsTheConnectionOnlyWhenAsked() {
        assertThat(feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").heads().getFirst().keepAlive()).isFalse();
        assertThat(feed("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").heads().getFirst()
                .keepAlive()).isTrue();
        assertThat(feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").heads().getFirst()
                .keepAlive()).isFalse();
    }

    @Test
    void onlyALastChunkedCodingFramesByChunks() {
        Output out = feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
        assertThat(out.heads().getFirst().chunked()).isTrue();
        assertThat(out.bodies()).containsExactly("ok|END");
        ch.finishAndReleaseAll();
        EmbeddedChannel other = new EmbeddedChannel(new UpstreamResponseDecoder(1024));
        other.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n2\r\n",
                StandardCharsets.ISO_8859_1));
        UpstreamHead h = other.readInbound();
        assertThat(h.chunked()).isFalse();
        assertThat(h.keepAlive()).isFalse();
        ByteBuf raw = other.readInbound();
        assertThat(raw.toString(StandardCharsets.ISO_8859_1)).isEqualTo("2\r\n");
        raw.release();
        other.finishAndReleaseAll();
    }

    @Test
    void connectionTokensAreReadWithoutRegardToCase() {
        UpstreamHead h = feed("HTTP/1.1 200 OK\r\nConnection: X-Secret ,  CLOSE\r\nX-Secret: s\r\nContent-Length: 0\r\n\r\n")
                .heads().getFirst();
        assertThat(h.keepAlive()).isFalse();
        assertThat(h.connectionNamed()).containsExactly("x-secret");
        ByteBuf out = Unpooled.buffer();
        h.writeTo(out);
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo("Via: 1.1 portico\r\n");
        out.release();
    }

    @Test
    void equalContentLengthValuesAreOne() {
        Output out = feed("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok");
        assertThat(out.failures()).isEmpty();
        assertThat(out.bodies()).containsExactly("ok|END");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "HTTP/1.1 abc Nope\r\n\r\n",
            "HTTP/2 200 OK\r\n\r\n",
            "HTTP/1.1 200 OK\u0001\r\n\r\n",
            "HTTP/1.1 099 Low\r\n\r\n",
            "garbage\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: b\r\n folded\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
    })
    void malformedResponsesFail(String response) {
        Output out = feed(response);
        assertThat(out.failures()).hasSize(1);
        // Anything after a failure is dropped.
        assertThat(feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").heads()).isEmpty();
    }

    @Test
    void aHeadLargerThanTheLimitFailsBeforeItEnds() {
        Output out = feed("HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(2000));
        assertThat(out.failures()).singleElement().asString().contains("larger than 1024");
    }

    @Test
    void trailersLargerThanTheLimitFail() {
        Output out = feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: " + "t".repeat(2000));
        assertThat(out.failures()).singleElement().asString().contains("trailers");
    }

    @Test
    void relayedFieldsDropHopByHopOnesAndAddVia() {
        UpstreamHead h = feed("HTTP/1.1 200 OK\r\nDate: x\r\nServer: s\r\nConnection: keep-alive, X-Private\r\n"
                + "X-Private: p\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\nVia: 1.1 edge\r\nX-Kept:v\r\n\r\n")
                .heads().getFirst();
        ByteBuf out = Unpooled.buffer();
        h.writeTo(out);
        assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo("Server: s\r\nX-Kept:v\r\nVia: 1.1 edge, 1.1 portico\r\n");
        out.release();
        HttpResponse r = h.toHttpResponse();
        assertThat(r.status().code()).isEqualTo(200);
        assertThat(r.headers().get("X-Private")).isEqualTo("p");
        assertThat(r.headers().size()).isEqualTo(h.size());
    }
}
