package dev.portico.web;

import dev.portico.web.http.RequestHandler;
import dev.portico.web.http.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Exchange.beginFixedLength (streamed body of known length) and switchProtocols (101 hand-over). */
@Timeout(30)
class StreamedResponseTest {

    @TempDir
    Path root;
    private final WebHarness web = new WebHarness();

    @AfterEach
    void tearDown() throws Exception {
        web.close();
    }

    private void start(RequestHandler handler) throws Exception {
        web.start(WebConfig.builder().root(root).listen("127.0.0.1:0").build(), List.of(handler));
    }

    @Test
    void aFixedLengthBodyStreamsInPiecesAndKeepsTheConnection() throws Exception {
        start(ex -> {
            ex.beginFixedLength(ResponseHead.of(200).header("Content-Length", 10));
            if (ex.bodyOpen()) {
                ex.writeChunk(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
                ex.writeChunk(Unpooled.copiedBuffer("world", StandardCharsets.US_ASCII));
                ex.endChunked();
            }
            return true;
        });
        try (Socket s = web.socket()) {
            String first = WebHarness.exchange(s, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", "helloworld");
            assertThat(first).contains("Content-Length: 10").doesNotContain("chunked").endsWith("\r\n\r\nhelloworld");
            String head = WebHarness.exchange(s, "HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\n");
            assertThat(head).contains("Content-Length: 10");
            String again = WebHarness.exchange(s, "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null);
            assertThat(again).endsWith("helloworld");
        }
    }

    @Test
    void switchProtocolsHandsTheRawConnectionOver() throws Exception {
        start(ex -> {
            ex.context().pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof ByteBuf in) {
                        ctx.writeAndFlush(in);
                    } else {
                        // The end of the upgrade request itself, decoded before the hand-over.
                        io.netty.util.ReferenceCountUtil.release(msg);
                    }
                }
            });
            ex.switchProtocols(ResponseHead.of(101).header("Upgrade", "echo").header("Connection", "Upgrade"));
            return true;
        });
        try (Socket s = web.socket()) {
            String head = WebHarness.exchange(s, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n",
                    "\r\n\r\n");
            assertThat(head).startsWith("HTTP/1.1 101 ");
            assertThat(WebHarness.exchange(s, "GET /not-http HTTP/1.1\r\n\r\n", "\r\n\r\n"))
                    .isEqualTo("GET /not-http HTTP/1.1\r\n\r\n");
        }
        assertThat(web.server.openConnections()).isZero();
    }
}
