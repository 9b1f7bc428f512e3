package dev.portico.filestore;

import dev.portico.proxy.UpstreamHead;
import dev.portico.proxy.UpstreamResponseDecoder;
import dev.portico.upstream.FailureText;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/1.1 request to a node, on the client's event loop: connect, write the head, let the
 * owner stream a body, and hand the response back piece by piece. The head is written straight
 * into a buffer ({@link NodeHeaders.Request}) and the answer read by the proxy's
 * {@link UpstreamResponseDecoder}: its head's fields stay offsets into the bytes received, and
 * reach the client as they came (no header map is built on either side). A call whose request went out
 * whole and whose response ended and allows it leaves its connection idle for the next request to
 * the node from the same loop, reads and writes alike (a reused connection found closed before any
 * of a body went out is replaced once by a fresh one); a call aborted or answered before its body
 * ended closes its connection. Closing it before a request body is complete is how an upload is
 * cancelled (the node keeps no partial file).
 */
final class NodeCall {

    /** What the owner of a call hears; every method runs on the call's event loop. */
    interface Listener {
        /** The connection is open and the head written: a body may follow. */
        default void onOpen(NodeCall call) {
        }

        /** The node answered {@code 100 Continue}. */
        default void onContinue(NodeCall call) {
        }

        /** The final response head. */
        void onHead(NodeCall call, UpstreamHead head);

        /** A piece of the response body (possibly empty when {@code last}); {@code last} ends it. The listener releases nothing. */
        void onBody(NodeCall call, ByteBuf content, boolean last);

        /** The call failed before its response ended: connect error, timeout, reset, malformed answer. */
        void onFailure(NodeCall call, String reason, boolean timeout);

        /** The connection can take more of the request body again. */
        default void onWritable(NodeCall call) {
        }
    }

    /** The largest response head a node may send, in bytes. */
    static final int MAX_HEAD = 16384;
    private static final int CRLF = ('\r' << 8) | '\n';
    private static final byte[] CHUNK_END = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = {'0', '\r', '\n', '\r', '\n'};
    /** Outbound buffer bounds per node connection: a slow node pauses the client above the high mark. */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(64 * 1024, 256 * 1024);

    private final NodeContext nodes;
    private final EventLoop loop;
    private final NodeState node;
    private final Listener listener;
    /** The request head, kept to send again when a reused connection turns out to be closed. */
    private final NodeHeaders.Request head;
    /** A GET or HEAD: its answer's delay measures the node's latency. */
    private final boolean measures;
    /** A request body follows the head. */
    private final boolean bodyFollows;
    /** The request went out whole (its last piece is written): only then may the connection be kept. */
    private boolean requestEnded;
    /** Some of the request body went out on the current connection. */
    private boolean bodyStarted;
    /** The connection went back to the idle ones: it is no longer this call's to close. */
    private boolean released;
    private boolean reused;
    /** Within the listener's {@code onOpen}: body pieces written wait for one flush after it. */
    private boolean opening;
    private boolean keepAlive;
    private boolean aborted;
    private final String uri;
    private final long responseTimeoutMillis;
    private final long idleMillis;
    private Channel channel;
    /** The handler of {@link #channel} that hands its events to this call, with its decoder. */
    private Link link;
    private boolean headSeen;
    private boolean finished;
    private long sentNanos;
    private ScheduledFuture<?> responseTimer;

    private NodeCall(NodeContext nodes, EventLoop loop, NodeState node, NodeHeaders.Request head, boolean bodyFollows,
                     Listener listener) {
        this.nodes = nodes;
        this.loop = loop;
        this.idleMillis = nodes.idleTimeout().toMillis();
        this.node = node;
        this.head = head;
        this.uri = head.uri();
        this.bodyFollows = bodyFollows;
        this.requestEnded = !bodyFollows;
        HttpMethod m = head.method();
        this.measures = !bodyFollows && (m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD));
        this.listener = listener;
        this.responseTimeoutMillis = nodes.responseTimeout().toMillis();
    }

    /**
     * Connects to {@code node} and writes {@code head}; unless {@code bodyFollows}, the response
     * timer starts then (otherwise when the body's last piece is written). On a kept connection
     * the request is written at once and the listener's {@code onOpen} runs before this returns:
     * an owner that must know its call by then uses {@link #prepare} and {@link #start}.
     */
    static NodeCall open(NodeContext nodes, EventLoop loop, NodeState node, NodeHeaders.Request head, boolean bodyFollows,
                         Listener listener) {
        NodeCall call = prepare(nodes, loop, node, head, bodyFollows, listener);
        call.start();
        return call;
    }

    /** A call not started yet: {@link #start} sends it. */
    static NodeCall prepare(NodeContext nodes, EventLoop loop, NodeState node, NodeHeaders.Request head, boolean bodyFollows,
                            Listener listener) {
        return new NodeCall(nodes, loop, node, head, bodyFollows, listener);
    }

    /**
     * Sends the request: on a kept connection of this loop at once, within this call and with no
     * task of its own on the loop, else on a new connection once it is up. Called on the loop.
     */
    void start() {
        Channel idle = nodes.takeIdle(loop, node);
        if (idle == null) {
            connect();
            return;
        }
        channel = idle;
        reused = true;
        link = idle.pipeline().get(Link.class);
        link.call = this;
        sendHead();
        opened();
    }

    private void connect() {
        Link l = new Link(this, new UpstreamResponseDecoder(MAX_HEAD));
        link = l;
        Bootstrap b = new Bootstrap().group(loop).channel(nodes.channelClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(nodes.connectTimeout().toMillis(), Integer.MAX_VALUE))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new NodeTraffic(node.backend(),
                                        TimeUnit.MILLISECONDS.toNanos(idleMillis)))
                                .addLast(l.decoder)
                                .addLast(l);
                    }
                });
        node.backend().onConnectStart();
        ChannelFuture f = b.connect(node.socketAddress());
        channel = f.channel();
        f.addListener((ChannelFutureListener) done -> connected(done));
    }

    /**
     * Writes the request head; without a body, the request's end too, and the response timer
     * starts. A head before a body is flushed after the listener's {@code onOpen}, with what of the
     * body it wrote there.
     */
    private void sendHead() {
        sentNanos = System.nanoTime();
        link.decoder.expectNoBody(head.method().equals(HttpMethod.HEAD));
        ByteBuf bytes = head.render(channel.alloc());
        if (bodyFollows) {
            channel.write(bytes, channel.voidPromise());
        } else {
            channel.writeAndFlush(bytes, channel.voidPromise());
            armResponseTimer();
        }
    }

    private void connected(ChannelFuture f) {
        if (finished) {
            if (!f.isSuccess()) {
                node.backend().onClosed(0, 0); // given up while connecting: no connection to count as open
            }
            f.channel().close();
            return;
        }
        if (!f.isSuccess()) {
            String why = FailureText.of(f.cause());
            node.backend().onConnectFailed(why);
            fail("connect to " + node.name() + " failed: " + why, f.cause() instanceof ConnectTimeoutException);
            return;
        }
        nodes.opened(channel);
        sendHead();
        opened();
    }

    /** Tells the listener the call is open, then flushes the head with what the listener wrote. */
    private void opened() {
        opening = true;
        try {
            listener.onOpen(this);
        } finally {
            opening = false;
        }
        if (channel.isOpen()) {
            channel.flush();
        }
    }

    NodeState node() {
        return node;
    }

    /** The request target sent to the node. */
    String uri() {
        return uri;
    }

    Channel channel() {
        return channel;
    }

    boolean open() {
        return !finished && channel != null && channel.isActive();
    }

    boolean writable() {
        return channel != null && channel.isWritable();
    }

    /**
     * Writes a piece of the request body (taking it), framed as a chunk when the body is chunked;
     * flushes, except within {@code onOpen}, which flushes after.
     */
    ChannelFuture write(ByteBuf data) {
        bodyStarted = true;
        if (head.chunked()) {
            int n = data.readableBytes();
            if (n == 0) {
                data.release();
                return channel.newSucceededFuture();
            }
            ByteBuf size = channel.alloc().directBuffer(12);
            size.writeCharSequence(Integer.toHexString(n), StandardCharsets.US_ASCII);
            size.writeShort(CRLF);
            channel.write(size, channel.voidPromise());
            channel.write(data, channel.voidPromise());
            data = Unpooled.wrappedBuffer(CHUNK_END);
        }
        return opening ? channel.write(data) : channel.writeAndFlush(data);
    }

    /** Ends the request body (the last chunk when chunked); flushes, except within {@code onOpen}. */
    void end() {
        bodyStarted = true;
        requestEnded = true;
        ByteBuf last = head.chunked() ? Unpooled.wrappedBuffer(LAST_CHUNK) : Unpooled.EMPTY_BUFFER;
        if (opening) {
            channel.write(last, channel.voidPromise());
        } else {
            channel.writeAndFlush(last, channel.voidPromise());
        }
        armResponseTimer();
    }

    /** Whether the request went out on a connection kept from an earlier call. */
    boolean reused() {
        return reused;
    }

    /** Stops or restarts reading the response (backpressure from a slow client). */
    void reading(boolean on) {
        if (channel != null) {
            channel.config().setAutoRead(on);
        }
    }

    /**
     * Ends the call without telling the listener; closes the connection (an unfinished upload is
     * cancelled), unless the response had ended and the connection went back to the idle ones.
     */
    void abort() {
        aborted = true;
        if (!finished) {
            finished = true;
            cancelTimer();
        }
        if (channel != null && !released) {
            channel.close();
        }
    }

    private void armResponseTimer() {
        if (idleMillis > 0 && responseTimeoutMillis >= idleMillis) {
            // The connection's idle timer, restarted by the request's last write, fires no later
            // than this one would (with the defaults both are 60 s): no timer per request, as the
            // proxy does for its first byte.
            return;
        }
        if (responseTimeoutMillis > 0 && !headSeen && !finished) {
            responseTimer = channel.eventLoop().schedule(() -> {
                if (!headSeen && !finished) {
                    node.backend().onRequestFailed("no response within " + responseTimeoutMillis + " ms");
                    fail("no response from " + node.name() + " within " + responseTimeoutMillis + " ms", true);
                }
            }, responseTimeoutMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void cancelTimer() {
        if (responseTimer != null) {
            responseTimer.cancel(false);
            responseTimer = null;
        }
    }

    private void fail(String reason, boolean timeout) {
        if (finished) {
            return;
        }
        if (reused && !headSeen && !timeout && !bodyStarted) {
            // a kept-alive connection the node had closed meanwhile: once more on a fresh one
            reused = false;
            cancelTimer();
            Channel stale = channel;
            connect();
            stale.close();
            return;
        }
        finished = true;
        cancelTimer();
        if (measures && !headSeen && sentNanos != 0) {
            // a node that hangs must not keep the best latency it never measured
            node.measured(System.nanoTime() - sentNanos);
        }
        if (channel != null) {
            channel.close();
        }
        listener.onFailure(this, reason, timeout);
    }

    void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (finished || ctx.channel() != channel) {
                return;
            }
            if (msg instanceof UpstreamHead r) {
                int code = r.status();
                if (code < 200) {
                    if (code == 100) {
                        listener.onContinue(this);
                    }
                    return;
                }
                headSeen = true;
                keepAlive = r.keepAlive();
                cancelTimer();
                if (measures) {
                    // reads only: a write's time includes the node's disk, not its distance
                    node.measured(System.nanoTime() - sentNanos);
                }
                node.backend().onRequestSucceeded();
                listener.onHead(this, r);
            } else if (msg instanceof ByteBuf b) {
                listener.onBody(this, b, false);
            } else if (msg instanceof UpstreamResponseDecoder.Last last) {
                finished = true;
                listener.onBody(this, last.content(), true);
                if (keepAlive && requestEnded && !aborted && ctx.channel().isActive()
                        && link.decoder.leftover() == 0) {
                    ctx.channel().config().setAutoRead(true);
                    released = true;
                    nodes.release(loop, node, ctx.channel());
                } else {
                    ctx.channel().close();
                }
            } else if (msg instanceof UpstreamResponseDecoder.Failure f) {
                if (!headSeen) {
                    node.backend().onRequestFailed("malformed response");
                }
                fail("malformed response from " + node.name() + ": " + f.reason(), false);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && !finished && ctx.channel() == channel) {
            listener.onWritable(this);
        }
        ctx.fireChannelWritabilityChanged();
    }

    void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (finished || ctx.channel() != channel) {
                ctx.close(); // an idle kept-alive connection
                return;
            }
            node.backend().onRequestFailed("idle");
            fail("no traffic with " + node.name() + " for " + idleMillis + " ms", true);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    void channelInactive(ChannelHandlerContext ctx) {
        if (!finished && ctx.channel() == channel) {
            if (!headSeen) {
                node.backend().onRequestFailed("connection closed");
            }
            fail(node.name() + " closed the connection " + (headSeen ? "during the response" : "before answering"), false);
        }
    }

    void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (finished || ctx.channel() != channel) {
            ctx.close();
            return;
        }
        if (!headSeen) {
            node.backend().onRequestFailed(FailureText.of(cause));
        }
        fail("connection to " + node.name() + ": " + FailureText.of(cause), false);
    }

    /** A node connection's handler: hands what happens to the call that uses the connection now. */
    private static final class Link extends ChannelInboundHandlerAdapter {
        private NodeCall call;
        /** The connection's response decoder, kept here so that no request looks it up in the pipeline. */
        private final UpstreamResponseDecoder decoder;

        Link(NodeCall call, UpstreamResponseDecoder decoder) {
            this.call = call;
            this.decoder = decoder;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            call.channelRead(ctx, msg);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            call.channelWritabilityChanged(ctx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            call.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            call.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            call.exceptionCaught(ctx, cause);
        }
    }
}
