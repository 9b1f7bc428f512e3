package dev.portico.web.h2;

import dev.portico.web.http.ErrorPages;
import dev.portico.web.http.HttpConnection;
import dev.portico.web.http.HttpContext;
import dev.portico.web.http.HttpDates;
import dev.portico.web.http.HttpOptions;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The entry points a TLS listener's ALPN hook calls. */
class Http2ServerTest {

    private final AtomicInteger connections = new AtomicInteger();
    private final HttpContext context = new HttpContext(HttpOptions.defaults().withMaxConnections(100), ex -> false,
            ErrorPages.defaults(), new HttpDates(Clock.systemUTC()), connections, ex -> { }, null, "GET");
    private final Http2Server server = new Http2Server(() -> context,
            () -> new ChannelHandler[] {HttpConnection.forStream(() -> context)});

    private EmbeddedChannel tlsLikePipeline() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast("tls", new ChannelDuplexHandler())
                .addLast("chunked-writer", new ChannelDuplexHandler())
                .addLast("http", new ChannelDuplexHandler());
        return ch;
    }

    @Test
    void h2ReplacesWhatFollowsTheTlsHandler() {
        EmbeddedChannel ch = tlsLikePipeline();
        try {
            assertThat(server.applicationProtocol(ch.pipeline(), "tls", "h2")).isTrue();
            assertThat(ch.pipeline().names()).contains("tls", "h2-watch", "h2", "h2-streams")
                    .doesNotContain("chunked-writer", "http");
            assertThat(ch.pipeline().get(Http2FrameCodec.class)).isNotNull();
            assertThat(ch.pipeline().get(Http2MultiplexHandler.class)).isNotNull();
            // The h2 connection counts as one.
            assertThat(connections.get()).isEqualTo(1);
        } finally {
            ch.finishAndReleaseAll();
        }
        assertThat(connections.get()).isZero();
    }

    @Test
    void aServiceWithDirectStreamsPutsItsHandlerBetweenTheCodecAndTheMultiplexer() {
        Http2Server direct = new Http2Server(() -> context,
                () -> new ChannelHandler[] {HttpConnection.forStream(() -> context)},
                () -> HttpConnection.forDirectStreams(() -> context));
        EmbeddedChannel ch = tlsLikePipeline();
        try {
            assertThat(direct.applicationProtocol(ch.pipeline(), "tls", "h2")).isTrue();
            List<String> names = ch.pipeline().names();
            assertThat(names.indexOf("h2-direct")).isGreaterThan(names.indexOf("h2"));
            assertThat(names.indexOf("h2-streams")).isGreaterThan(names.indexOf("h2-direct"));
        } finally {
            ch.finishAndReleaseAll();
        }
        // Without the supplier (the proxy's), every stream gets a child channel.
        EmbeddedChannel plain = tlsLikePipeline();
        try {
            server.applicationProtocol(plain.pipeline(), "tls", "h2");
            assertThat(plain.pipeline().names()).doesNotContain("h2-direct");
        } finally {
            plain.finishAndReleaseAll();
        }
    }

    @Test
    void http11OrNoAlpnLeavesThePipeline() {
        EmbeddedChannel ch = tlsLikePipeline();
        try {
            assertThat(server.applicationProtocol(ch.pipeline(), "tls", "http/1.1")).isFalse();
            assertThat(server.applicationProtocol(ch.pipeline(), "tls", null)).isFalse();
            assertThat(ch.pipeline().names()).contains("tls", "chunked-writer", "http").doesNotContain("h2");
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void anUnknownAnchorIsRefused() {
        EmbeddedChannel ch = tlsLikePipeline();
        try {
            assertThatThrownBy(() -> server.install(ch.pipeline(), "nosuch")).isInstanceOf(IllegalArgumentException.class);
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
