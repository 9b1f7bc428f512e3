package dev.portico.web.h2;

import dev.portico.core.limits.IdleConnection;
import dev.portico.core.transport.FileRegionInput;
import dev.portico.web.http.Http2Heads;
import dev.portico.web.http.HttpConnection;
import dev.portico.web.http.HttpContext;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * HTTP/2 for one web or proxy service: it turns a connection's pipeline into an HTTP/2 one whose
 * streams each run the service's HTTP/1.1 handlers behind an {@link Http2StreamBridge}, or, with a
 * {@code direct} supplier, whose body-less GET and HEAD streams are served on the connection's own
 * pipeline by {@link Http2DirectStreams} and the rest as child channels. The
 * settings and limits come from the service's current {@link dev.portico.web.http.HttpOptions#http2()}
 * when a connection switches, so a reload applies to new connections.
 *
 * <p>Two ways in: {@link #h2cDetector()} at the head of a plain listener's pipeline (h2c with
 * prior knowledge), and {@link #install} from a TLS listener's ALPN hook when the client chose
 * {@code h2}.
 */
public final class Http2Server {

    /** The name of the h2c detector in a plain listener's pipeline. */
    public static final String DETECTOR = "h2c";

    private static final StreamRegions REGIONS = new StreamRegions(FileRegionInput.DEFAULT_CHUNK);

    private final Supplier<HttpContext> http;
    private final Supplier<ChannelHandler[]> perStream;
    /** Makes a connection's {@link HttpConnection#forDirectStreams}; null when every stream gets a child channel. */
    private final Supplier<HttpConnection> direct;

    /**
     * @param http      the service's current HTTP context (options, connection count)
     * @param perStream makes the handlers of one stream, placed after the bridge and the file
     *                  region reader ({@link StreamRegions}): the same ones an HTTP/1.1 connection has after its decoder
     *                  (an {@code HttpConnection.forStream}, and whatever the service puts before it)
     */
    public Http2Server(Supplier<HttpContext> http, Supplier<ChannelHandler[]> perStream) {
        this(http, perStream, null);
    }

    /**
     * @param direct makes, per connection, the {@link HttpConnection#forDirectStreams} that serves
     *               body-less {@code GET} and {@code HEAD} streams without a child channel
     *               ({@link Http2DirectStreams}); it must answer as {@code perStream}'s
     *               {@code HttpConnection} does. Null: every stream gets a child channel.
     */
    public Http2Server(Supplier<HttpContext> http, Supplier<ChannelHandler[]> perStream,
                       Supplier<HttpConnection> direct) {
        this.http = http;
        this.perStream = perStream;
        this.direct = direct;
    }

    /**
     * Adds the h2c detector at the head of a plain listener's new pipeline when the service has
     * {@code http2.h2c} on; does nothing otherwise.
     */
    public void addH2cDetector(ChannelPipeline pipeline) {
        if (http.get().options().http2().h2c()) {
            pipeline.addFirst(DETECTOR, h2cDetector());
        }
    }

    /**
     * A handler for the head of a plain HTTP/1.1 pipeline: a connection that starts with the
     * HTTP/2 preface is switched with {@link #install}; any other first bytes remove it and pass
     * on untouched.
     */
    public ChannelHandler h2cDetector() {
        return new H2cDetector(this);
    }

    /**
     * What a TLS listener does once the handshake chose an application protocol: {@code h2}
     * switches the connection with {@link #install}; anything else ({@code http/1.1}, or no ALPN)
     * leaves the HTTP/1.1 handlers as they are.
     *
     * @param after    the name of the handler the HTTP handlers follow (the TLS handler)
     * @param protocol the protocol ALPN chose, or null
     * @return true when the connection now speaks HTTP/2
     */
    public boolean applicationProtocol(ChannelPipeline pipeline, String after, String protocol) {
        if (!"h2".equals(protocol)) {
            return false;
        }
        install(pipeline, after);
        return true;
    }

    /**
     * Offers {@code ch} to {@code into} when it is an HTTP/2 connection without open streams,
     * with a close (GOAWAY first) that acts on its loop and only if it is still idle then.
     *
     * @return false when {@code ch} is not an HTTP/2 connection
     */
    public static boolean idle(Channel ch, Consumer<IdleConnection> into) {
        Http2ConnectionWatch w = ch.pipeline().get(Http2ConnectionWatch.class);
        if (w == null) {
            return false;
        }
        long since = w.idleSince();
        if (since != Long.MAX_VALUE) {
            into.accept(new IdleConnection(since, () -> ch.eventLoop().execute(() -> w.closeIfIdleSince(since))));
        }
        return true;
    }

    /**
     * Makes {@code pipeline} an HTTP/2 connection: every handler after the one named
     * {@code after} (the HTTP/1.1 ones) is removed, and the HTTP/2 handlers take their place. A
     * null {@code after} replaces every handler. Call on the channel's event loop, before the
     * client's preface is passed on: from the h2c detector, or from a TLS listener's ALPN hook
     * once {@code h2} was chosen (with the TLS handler's or the hook's own name).
     */
    public void install(ChannelPipeline pipeline, String after) {
        List<String> old = new ArrayList<>();
        boolean past = after == null;
        for (Map.Entry<String, ChannelHandler> e : pipeline) {
            if (past) {
                old.add(e.getKey());
            } else if (e.getKey().equals(after)) {
                past = true;
            }
        }
        if (!past) {
            throw new IllegalArgumentException("no handler named " + after + " in the pipeline");
        }
        for (String name : old) {
            pipeline.remove(name);
        }
        HttpContext context = http.get();
        Http2Options o = context.options().http2();
        Http2DirectStreams streams = direct == null ? null : new Http2DirectStreams(direct.get());
        Http2FrameCodec codec = (streams == null ? Http2FrameCodecBuilder.forServer() : new CodecBuilder(streams.connection()))
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(o.maxConcurrentStreams())
                        .maxHeaderListSize(o.maxHeaderListSize())
                        .initialWindowSize(o.initialWindowSize())
                        .maxFrameSize(o.maxFrameSize()))
                .validateHeaders(true)
                .decoderEnforceMaxRstFramesPerWindow(o.maxResets(), (int) Math.min(Integer.MAX_VALUE, o.resetWindow().toSeconds()))
                .encoderEnforceMaxQueuedControlFrames(o.maxQueuedControlFrames())
                .gracefulShutdownTimeoutMillis(context.options().sendTimeout().toMillis())
                .build();
        Http2Heads.attach(pipeline.channel());
        pipeline.addLast("h2-watch", new Http2ConnectionWatch(context))
                .addLast("h2", codec);
        if (streams != null) {
            pipeline.addLast("h2-direct", streams);
        }
        pipeline.addLast(Http2DirectStreams.MULTIPLEXER, new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel stream) {
                        ChannelPipeline p = stream.pipeline();
                        p.addLast("h2-bridge", new Http2StreamBridge())
                                .addLast("region-chunker", REGIONS);
                        for (ChannelHandler h : perStream.get()) {
                            p.addLast(h);
                        }
                    }
                }))
                .addLast("h2-errors", Http2ConnectionWatch.QUIET_END);
    }

    /** A server codec on a connection made elsewhere (the direct streams' one). */
    private static final class CodecBuilder extends Http2FrameCodecBuilder {
        CodecBuilder(Http2Connection connection) {
            connection(connection);
        }
    }
}
