package dev.portico.filestore;

import dev.portico.proxy.UpstreamHead;
import dev.portico.proxy.UpstreamResponseDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Hop-by-hop and framing fields stay between client, router and nodes, in whatever case they come. */
class NodeHeadersTest {

    @Test
    void hopByHopFieldsAreDroppedInAnyCase() {
        HttpHeaders client = new DefaultHttpHeaders();
        client.add("HOST", "files.example");
        client.add("connection", "keep-alive, X-Private");
        client.add("Keep-Alive", "timeout=5");
        client.add("TRANSFER-encoding", "chunked");
        client.add("Te", "trailers");
        client.add("Proxy-Authorization", "Basic eDp5");
        client.add("Accept", "*/*");
        client.add("If-None-Match", "\"abc\"");

        String get = render(NodeHeaders.request(HttpMethod.GET, "/_3fs_0/a", client, -2, false));
        assertThat(get).startsWith("GET /_3fs_0/a HTTP/1.1\r\nhost: files.example\r\n").endsWith("\r\n\r\n");
        assertThat(get).containsOnlyOnce("files.example");
        assertThat(get).contains("\r\nAccept: */*\r\n", "\r\nIf-None-Match: \"abc\"\r\n");
        for (String gone : new String[] {"connection", "keep-alive", "transfer-encoding", "te:", "proxy-authorization",
                "content-length", "expect"}) {
            assertThat(get.toLowerCase(java.util.Locale.ROOT)).as(gone).doesNotContain("\n" + gone);
        }

        String put = render(NodeHeaders.request(HttpMethod.PUT, "/_3fs_0/a", client, 12, true));
        assertThat(put).contains("\r\ncontent-length: 12\r\n", "\r\nexpect: 100-continue\r\n")
                .doesNotContainIgnoringCase("transfer-encoding");
        String chunked = render(NodeHeaders.request(HttpMethod.PUT, "/_3fs_0/a", client, -1, false));
        assertThat(chunked).contains("\r\ntransfer-encoding: chunked\r\n").doesNotContainIgnoringCase("content-length");
    }

    private static String render(NodeHeaders.Request r) {
        ByteBuf b = r.render(UnpooledByteBufAllocator.DEFAULT);
        try {
            return b.toString(StandardCharsets.ISO_8859_1);
        } finally {
            b.release();
        }
    }

    @Test
    void aNodesAnswerLosesItsFramingAndConnectionFields() {
        EmbeddedChannel ch = new EmbeddedChannel(new UpstreamResponseDecoder(NodeCall.MAX_HEAD));
        ch.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                + "content-LENGTH: 5\r\nDATE: Sun, 06 Dec 2026 04:00:00 GMT\r\nConnection: keep-alive\r\n"
                + "ETag: \"1-5\"\r\n\r\nhello", StandardCharsets.ISO_8859_1));
        UpstreamHead head = ch.readInbound();
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.contentLength()).isEqualTo(5);
        assertThat(head.keepAlive()).isTrue();
        ByteBuf out = Unpooled.buffer();
        try {
            head.writeTo(out);
            assertThat(out.toString(StandardCharsets.ISO_8859_1))
                    .isEqualTo("Content-Type: application/octet-stream\r\nETag: \"1-5\"\r\nVia: 1.1 portico\r\n");
        } finally {
            out.release();
            ch.finishAndReleaseAll();
        }
        assertThat(NodeHeaders.hop("X-Copies")).isFalse();
        assertThat(NodeHeaders.hop("upgrade")).isTrue();
        assertThat(NodeHeaders.hop("Proxy-Authenticate")).isTrue();
        assertThat(NodeHeaders.hop("Hostx")).isFalse();
    }
}
