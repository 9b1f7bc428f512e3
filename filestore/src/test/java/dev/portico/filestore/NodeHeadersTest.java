package dev.portico.filestore;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
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

        HttpRequest r = NodeHeaders.request(HttpMethod.GET, "/_3fs_0/a", client, -2, false);
        HttpHeaders h = r.headers();
        assertThat(h.get("Host")).isEqualTo("files.example");
        assertThat(h.getAll("Host")).hasSize(1);
        assertThat(h.get("Accept")).isEqualTo("*/*");
        assertThat(h.get("If-None-Match")).isEqualTo("\"abc\"");
        for (String gone : new String[] {"Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Proxy-Authorization",
                "Content-Length", "Expect"}) {
            assertThat(h.contains(gone)).as(gone).isFalse();
        }

        HttpRequest put = NodeHeaders.request(HttpMethod.PUT, "/_3fs_0/a", client, 12, true);
        assertThat(put.headers().get("Content-Length")).isEqualTo("12");
        assertThat(put.headers().get("Expect")).isEqualTo("100-continue");
        assertThat(put.headers().contains("Transfer-Encoding")).isFalse();
    }

    @Test
    void aNodesAnswerLosesItsFramingAndConnectionFields() {
        HttpHeaders node = new DefaultHttpHeaders();
        node.add("Content-Type", "application/octet-stream");
        node.add("content-LENGTH", "5");
        node.add("DATE", "Sun, 06 Dec 2026 04:00:00 GMT");
        node.add("Connection", "keep-alive");
        node.add("ETag", "\"1-5\"");
        ByteBuf out = Unpooled.buffer();
        try {
            NodeHeaders.response(node).writeTo(out);
            assertThat(out.toString(StandardCharsets.ISO_8859_1))
                    .isEqualTo("Content-Type: application/octet-stream\r\nETag: \"1-5\"\r\n");
        } finally {
            out.release();
        }
        assertThat(NodeHeaders.hop("X-Copies")).isFalse();
        assertThat(NodeHeaders.hop("upgrade")).isTrue();
        assertThat(NodeHeaders.hop("Proxy-Authenticate")).isTrue();
        assertThat(NodeHeaders.hop("Hostx")).isFalse();
    }
}
