package dev.portico.proxy;

import dev.portico.upstream.Backend;
import dev.portico.upstream.FailureText;
import dev.portico.web.http.BodySink;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.ResponseHead;
import dev.portico.web.http.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One proxied request, from the choice of a backend to the end of the response, all on the
 * client connection's event loop. The request body streams to the backend as it arrives and the
 * response streams back; each side stops reading while the other cannot take more.
 *
 * <p>An attempt that fails before the response head (a {@link RetryCondition} listed in
 * {@code retry_on}) is retried on another backend of the pool, within {@code retries} and the
 * pool's {@link RetryBudget}: idempotent methods after any such failure, others only after a
 * connect failure, when no byte of the request reached a backend. A request body is kept, up to
 * {@code retry_buffer}, to be sent again. A pooled connection that fails before answering is
 * retried once on a fresh connection to the same backend when the pool has no other: the backend
 * may simply have closed it as the request went out.
 */
final class ProxyExchange implements BodySink, UpstreamHandler.Owner {

    private static final Logger log = LoggerFactory.getLogger(ProxyExchange.class);
    private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.PUT,
            HttpMethod.DELETE, HttpMethod.OPTIONS, HttpMethod.TRACE);

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Exchange ex;
    private final ProxyShared shared;
    private final Channel client;
    private final EventLoop loop;
    private final boolean hasBody;
    private final boolean websocket;
    private final boolean requestChunked;
    /** The framing of the request body sent upstream (see {@link ForwardHeaders#framing}). */
    private final long framing;
    /** Backends that failed this exchange, or null while none has. */
    private Set<Backend> failed;
    /** The request's pool, or null (transparent mode, or no pool for the Host). */
    private Routing.Entry route;
    /** Whether the request may be sent again after bytes of it reached a backend (RFC 9110 §9.2.2). */
    private final boolean idempotent;
    /** Whether the body pieces sent are still all kept in {@link #replay}, or never had to be. */
    private boolean replayable = true;
    /** Request body pieces already sent, kept to send again on a retry, or null. */
    private ArrayDeque<ByteBuf> replay;
    private long replayBytes;
    private int retried;
    private boolean staleRetried;
    /** Request body pieces received before an upstream connection was ready, or null. */
    private ArrayDeque<ByteBuf> pending;
    private final ChannelFutureListener clientClosed = f -> onClientClosed();
    private int attempts;
    private boolean requestEnded;
    private boolean done;
    private boolean freshOnly;
    private boolean pausedClient;
    private Backend backend;
    private Channel upstream;
    /** The handler of {@link #upstream}, looked up once per attempt. */
    private UpstreamHandler upstreamHandler;
    private boolean reused;
    private UpstreamHead response;
    private ScheduledFuture<?> firstByte;
    private int lastStatus = 502;
    private String lastReason = "no backend answered";
    private final ExchangeHooks hooks;
    private final boolean detached;
    private boolean swallowing;
    /** The head of a bodiless response (HEAD, 204, 304), written when the backend's response ends. */
    private ResponseHead bodilessHead;
    /** The same for a relayed response without hooks: its head is written when the response ends. */
    private boolean bodilessRelay;

    ProxyExchange(Exchange ex, ProxyShared shared) {
        this(ex, shared, null, false);
    }

    /**
     * @param hooks    the cache in front, or null
     * @param detached true for a background fetch (a stale-while-revalidate refresh): nothing is
     *                 written to the client, whose request only supplies the method, target and
     *                 headers; the response goes to the hooks alone
     */
    ProxyExchange(Exchange ex, ProxyShared shared, ExchangeHooks hooks, boolean detached) {
        this.ex = ex;
        this.shared = shared;
        this.client = ex.context().channel();
        this.loop = client.eventLoop();
        this.hasBody = ex.hasBody() && !detached;
        this.requestChunked = hasBody && HttpUtil.isTransferEncodingChunked(ex.request());
        this.framing = ForwardHeaders.framing(ex.request(), hasBody);
        this.websocket = ForwardHeaders.isWebSocket(ex.headers()) && !detached;
        this.hooks = hooks;
        this.detached = detached;
        this.idempotent = IDEMPOTENT.contains(ex.method());
        this.replayable = !hasBody || idempotent && shared.config().retryBuffer() > 0;
    }

    void start() {
        if (!detached) {
            client.closeFuture().addListener(clientClosed);
        }
        if (hasBody) {
            pauseClient();
            ex.receiveBody(this);
        } else {
            requestEnded = true;
        }
        route = shared.routing().entry(ex.host());
        if (route != null) {
            route.budget().request();
        }
        attempt();
    }

    // ---- choosing and connecting ---------------------------------------------------------------

    private void attempt() {
        if (done) {
            return;
        }
        if (route == null) {
            if (shared.transparent() != null) {
                attemptTransparent();
            } else {
                fail(503, "no pool for host '" + ex.host() + "'");
            }
            return;
        }
        Optional<Backend> picked = shared.routing().pick(route, ex, failed == null ? Set.of() : failed);
        if (picked.isEmpty()) {
            if (attempts == 0) {
                fail(503, "no healthy backend for host '" + ex.host() + "'");
            } else {
                failAfterRetries(lastStatus, lastReason);
            }
            return;
        }
        attempts++;
        connectTo(picked.get());
    }

    /** Sends the request to {@code target} on a pooled connection, or a new one. */
    private void connectTo(Backend target) {
        backend = target;
        Channel idle = freshOnly ? null : shared.connections().take(loop, target);
        if (idle != null) {
            bind(idle, true);
            return;
        }
        target.onConnectStart();
        shared.connections().connect(loop, target).addListener((Future<Channel> f) -> connected(target, f));
    }

    /** Transparent mode: resolve the Host, check it is allowed, connect to it once. */
    private void attemptTransparent() {
        attempts++;
        String host = ex.host();
        shared.transparent().resolve(host).whenComplete((address, error) -> loop.execute(() -> {
            if (done) {
                return;
            }
            if (error != null) {
                fail(502, "cannot resolve '" + host + "': " + error.getMessage());
            } else if (!shared.transparent().allowed(address)) {
                fail(403, "'" + host + "' resolves to " + address.getHostAddress() + ", outside transparent.allow");
            } else {
                connectTo(shared.transparent().backend(address));
            }
        }));
    }

    private void connected(Backend target, Future<Channel> f) {
        if (!f.isSuccess()) {
            Throwable cause = f.cause();
            String why = FailureText.of(cause);
            target.onConnectFailed(why);
            if (done) {
                return;
            }
            int status = cause instanceof ConnectTimeoutException
                    || cause instanceof io.netty.handler.ssl.SslHandshakeTimeoutException ? 504 : 502;
            attemptFailed(RetryCondition.CONNECT_FAILURE, status,
                    (status == 504 ? "connect timeout to " : "connect failed to ") + target.name() + ": " + why);
            return;
        }
        Channel ch = f.getNow();
        IdleWatch bytes = ch.pipeline().get(IdleWatch.class);
        ch.closeFuture().addListener(c -> target.onClosed(bytes == null ? 0 : bytes.bytesIn(),
                bytes == null ? 0 : bytes.bytesOut()));
        if (done) {
            ch.close();
            return;
        }
        bind(ch, false);
    }

    private void bind(Channel ch, boolean wasReused) {
        upstream = ch;
        reused = wasReused;
        UpstreamHandler handler = ch.pipeline().get(UpstreamHandler.class);
        upstreamHandler = handler;
        handler.owner(this);
        HttpMethod method = hooks == null ? ex.method() : hooks.method(ex.method());
        handler.decoder().expectNoBody(method.equals(HttpMethod.HEAD));
        ByteBuf head = ch.alloc().directBuffer(512);
        ClientForwarding client = ClientForwarding.of(ex.context().channel(), ex.remoteAddress().getAddress());
        if (hooks == null) {
            ForwardHeaders.writeRequest(head, method, ex.request().uri(), ex.headers(), client,
                    shared.clientCertHeader(), ex.version(), websocket, framing);
        } else {
            HttpHeaders headers = ForwardHeaders.request(ex.headers(), client, shared.clientCertHeader(), ex.version(),
                    websocket, framing);
            hooks.request(headers);
            ForwardHeaders.writeRequest(head, method, ex.request().uri(), headers);
        }
        ch.write(head, ch.voidPromise());
        if (hasBody) {
            while (pending != null && !pending.isEmpty()) {
                writeBody(pending.poll());
            }
            if (requestEnded) {
                writeBodyEnd();
            } else {
                resumeClient();
            }
        }
        ch.flush();
        if (requestEnded) {
            armFirstByte();
        }
    }

    /**
     * Writes a piece of the request body (taking it), chunk-framed when the client's body is
     * chunked; keeps it for a retry while the body fits {@code retry_buffer}.
     */
    private ChannelFuture writeBody(ByteBuf data) {
        if (replayable) {
            keepForReplay(data);
        }
        if (!requestChunked) {
            return upstream.write(data);
        }
        ByteBuf size = upstream.alloc().buffer(12);
        size.writeCharSequence(Integer.toHexString(data.readableBytes()), StandardCharsets.US_ASCII);
        size.writeByte('\r').writeByte('\n');
        upstream.write(size, upstream.voidPromise());
        upstream.write(data, upstream.voidPromise());
        return upstream.write(Unpooled.wrappedBuffer(CRLF));
    }

    private void keepForReplay(ByteBuf data) {
        int n = data.readableBytes();
        if (replayBytes + n > shared.config().retryBuffer()) {
            replayable = false;
            releaseReplay();
            return;
        }
        if (replay == null) {
            replay = new ArrayDeque<>(4);
        }
        replay.add(data.retainedDuplicate());
        replayBytes += n;
    }

    private void releaseReplay() {
        while (replay != null && !replay.isEmpty()) {
            replay.poll().release();
        }
        replayBytes = 0;
    }

    /** Ends the request body: the last chunk when chunked, nothing otherwise. */
    private void writeBodyEnd() {
        if (requestChunked) {
            upstream.write(Unpooled.wrappedBuffer(LAST_CHUNK), upstream.voidPromise());
        }
    }

    private void armFirstByte() {
        long millis = shared.config().firstByteTimeout().toMillis();
        long idleMillis = shared.config().idleTimeout().toMillis();
        if (idleMillis > 0 && millis >= idleMillis) {
            // The upstream connection's IdleWatch, restarted by the request just written, fires no
            // later than this timer would (with the defaults, both are 60 s): no timer per request.
            return;
        }
        Channel ch = upstream;
        firstByte = loop.schedule(() -> {
            if (!done && upstream == ch && response == null) {
                firstByte = null;
                attemptFailed(RetryCondition.TIMEOUT, 504, "no response from " + backend.name() + " within " + millis + " ms");
            }
        }, millis, TimeUnit.MILLISECONDS);
    }

    // ---- the request body ----------------------------------------------------------------------

    @Override
    public void onData(ByteBuf data) {
        if (done) {
            return;
        }
        if (upstream == null) {
            if (pending == null) {
                pending = new ArrayDeque<>(4);
            }
            pending.add(data.retain());
            return;
        }
        ChannelFuture f = writeBody(data.retain());
        upstream.flush();
        if (!upstream.isWritable()) {
            pauseClient();
            f.addListener(w -> resumeClient());
        }
    }

    @Override
    public void onEnd() {
        requestEnded = true;
        if (done) {
            return;
        }
        if (upstream != null) {
            writeBodyEnd();
            upstream.flush();
            armFirstByte();
        }
    }

    @Override
    public void onAbort() {
        if (!done) {
            done = true;
            cleanup();
            closeUpstream();
            if (hooks != null) {
                hooks.onAbort();
            }
        }
    }

    private void pauseClient() {
        if (!pausedClient) {
            pausedClient = true;
            client.config().setAutoRead(false);
        }
    }

    private void resumeClient() {
        if (pausedClient) {
            pausedClient = false;
            client.config().setAutoRead(true);
        }
    }

    // ---- the response --------------------------------------------------------------------------

    @Override
    public void onUpstreamMessage(Object msg) {
        try {
            if (done) {
                return;
            }
            if (msg instanceof ByteBuf data) {
                onBody(data, false);
            } else if (msg instanceof UpstreamResponseDecoder.Last last) {
                onBody(last.content(), true);
            } else if (msg instanceof UpstreamHead h) {
                onHead(h);
            } else if (msg instanceof UpstreamResponseDecoder.Failure f) {
                fail(502, (response == null ? "malformed response from " : "malformed body from ") + backend.name()
                        + ": " + f.reason());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onHead(UpstreamHead h) {
        int code = h.status();
        if (code == 101) {
            if (websocket && response == null) {
                upgrade(h);
            } else {
                fail(502, backend.name() + " switched protocols unasked");
            }
            return;
        }
        if (code < 200 || response != null) {
            // 102, 103 and other interim responses go on to an HTTP/1.1 client (never into the
            // cache); 100 does not (the client's 100-continue was answered already).
            if (code > 100 && response == null && !detached) {
                ex.interim(code, h);
            }
            return;
        }
        cancelFirstByte();
        RetryCondition status = RetryCondition.ofStatus(code);
        boolean failedStatus = status != null && shared.config().retryOn().contains(status);
        if (failedStatus && attemptFailed(status, code, backend.name() + " answered " + code, false)) {
            return;
        }
        response = h;
        if (!failedStatus) {
            backend.onRequestSucceeded();
        }
        releaseReplay();
        if (hooks == null && !detached) {
            if (ex.isHead() || code == 204 || code == 304) {
                bodilessRelay = true;
            } else {
                ex.beginStream(code, h, h.chunked() ? -1 : h.contentLength());
            }
            return;
        }
        HttpResponse r = h.toHttpResponse();
        boolean taken = hooks != null && hooks.onResponse(r);
        if (taken && !hooks.wantsBody()) {
            done = true;
            cleanup();
            closeUpstream();
            return;
        }
        if (taken || detached) {
            swallowing = true;
            client.closeFuture().removeListener(clientClosed);
            resumeClient();
        } else {
            beginResponse(r, h);
        }
    }

    private void onBody(ByteBuf data, boolean last) {
        if (response == null) {
            return;
        }
        if (hooks != null && data.isReadable()) {
            hooks.onBody(data);
        }
        if (last) {
            // Everything that follows from the response's end happens before the client can see
            // that end: the connection goes back to the pool and the cache stores the response.
            // A client that sends its next request the moment it has read this response (maybe
            // on another event loop), or a pipelined request started by the end below, then finds
            // both; the other way round it would fetch again what is about to be stored.
            complete();
            if (hooks != null) {
                hooks.onEnd();
            }
        }
        if (swallowing) {
            ExchangeHooks.Resumed back = hooks == null || detached ? null : hooks.resumeRelay();
            if (back == null) {
                return;
            }
            ByteBuf resumed = back.bodySoFar();
            try {
                if (!resume(back, last)) {
                    return;
                }
                relay(resumed, last);
            } finally {
                resumed.release();
            }
            return;
        }
        relay(data, last);
    }

    /**
     * Relays a response the hooks took and gave back ({@link ExchangeHooks#resumeRelay}): the
     * client's response begins with their head.
     *
     * @return false when the client is gone
     */
    private boolean resume(ExchangeHooks.Resumed back, boolean last) {
        swallowing = false;
        if (!last) {
            client.closeFuture().addListener(clientClosed);
            if (done) {
                return false;
            }
        }
        if (back.length() >= 0) {
            back.head().set("Content-Length", back.length());
            ex.beginFixedLength(back.head());
        } else {
            ex.beginChunked(back.head());
        }
        return true;
    }

    /** Writes a body piece to the client (the part the hooks relay) and ends the response at the last. */
    private void relay(ByteBuf data, boolean last) {
        ByteBuf relayed = hooks == null ? data : hooks.relayed(data);
        if (relayed.isReadable() && ex.bodyOpen()) {
            ChannelFuture f = ex.writeChunk(relayed.retain());
            if (!last && !client.isWritable()) {
                Channel ch = upstream;
                ch.config().setAutoRead(false);
                // Once this exchange is done the connection belongs to the pool (which reads
                // again by itself) or to the next exchange, whose own flow control must stand.
                f.addListener(w -> {
                    if (!done) {
                        ch.config().setAutoRead(true);
                    }
                });
            }
        }
        if (!last && hooks != null && hooks.relayComplete()) {
            // The client has all it gets (a slice): the rest is not read, and the connection,
            // left mid-response, is closed rather than pooled.
            done = true;
            cleanup();
            closeUpstream();
            hooks.onAbort();
            if (ex.bodyOpen()) {
                ex.endChunked();
            }
            return;
        }
        if (last) {
            if (bodilessRelay) {
                int code = response.status();
                ex.beginStream(code, response, code == 204 ? -1 : response.contentLength());
            } else if (bodilessHead != null) {
                ex.beginFixedLength(bodilessHead);
            } else if (ex.bodyOpen()) {
                ex.endChunked();
            }
        }
    }

    /** Starts the client's response when hooks (the cache) are in front: they decorate the head. */
    private void beginResponse(HttpResponse r, UpstreamHead h) {
        ResponseHead head = ForwardHeaders.response(r, false);
        hooks.decorate(head);
        int code = h.status();
        if (ex.isHead() || code == 204 || code == 304) {
            if (h.contentLength() >= 0 && code != 204) {
                head.set("Content-Length", h.contentLength());
            }
            // Written whole at the response's end, which the decoder reports right after the head.
            bodilessHead = head;
        } else if (!h.chunked() && h.contentLength() >= 0) {
            head.set("Content-Length", hooks.relayedLength(h.contentLength()));
            ex.beginFixedLength(head);
        } else {
            ex.beginChunked(head);
        }
    }

    private void upgrade(UpstreamHead h) {
        cancelFirstByte();
        done = true;
        client.closeFuture().removeListener(clientClosed);
        Channel up = upstream;
        disown(up);
        client.pipeline().addLast("ws-relay", new Relay(up));
        ex.switchProtocols(ForwardHeaders.response(h.toHttpResponse(), true));
        ChannelPipeline p = up.pipeline();
        p.replace(UpstreamHandler.class, "ws-relay", new Relay(client));
        // Bytes the backend sent after its 101 go on to the relay as the decoder leaves.
        p.remove(UpstreamResponseDecoder.class);
        resumeClient();
        client.config().setAutoRead(true);
        log.debug("{}: websocket {} relayed to {}", shared.name(), ex.rawPath(), backend.name());
    }

    private void complete() {
        done = true;
        cleanup();
        Channel ch = upstream;
        upstream = null;
        UpstreamHandler handler = upstreamHandler;
        handler.owner(null);
        if (requestEnded && response.keepAlive() && handler.decoder().leftover() == 0) {
            shared.connections().release(backend, ch, handler.decoder(), response.keepAliveSeconds());
        } else {
            // Bytes after the end of the response (more than its Content-Length, or anything the
            // backend sent unasked) would be taken for the next response: never reuse it.
            ch.close();
        }
    }

    // ---- failures ------------------------------------------------------------------------------

    @Override
    public void onUpstreamClosed() {
        if (done) {
            return;
        }
        if (response == null) {
            upstream = null;
            attemptFailed(RetryCondition.RESET, 502, backend.name() + " closed the connection before answering");
            return;
        }
        done = true;
        cleanup();
        if (hooks != null) {
            hooks.onAbort();
        }
        if (swallowing) {
            log.debug("{}: {} closed the connection mid-response to {} {} (not relayed)", shared.name(), backend.name(),
                    ex.method(), ex.rawPath());
            return;
        }
        log.warn("{}: {} closed the connection mid-response to {} {}; closing the client connection",
                shared.name(), backend.name(), ex.method(), ex.rawPath());
        client.close();
    }

    @Override
    public void onUpstreamError(Throwable cause) {
        if (done) {
            return;
        }
        String reason = "error on the connection to " + backend.name() + ": " + FailureText.of(cause);
        if (response == null) {
            attemptFailed(RetryCondition.RESET, 502, reason);
        } else {
            fail(502, reason);
        }
    }

    @Override
    public void onUpstreamIdle() {
        if (done) {
            return;
        }
        String reason = backend.name() + " sent nothing for " + shared.config().idleTimeout().toMillis() + " ms";
        if (response == null) {
            attemptFailed(RetryCondition.TIMEOUT, 504, reason);
        } else {
            fail(504, reason);
        }
    }

    // ---- retries -------------------------------------------------------------------------------

    private void attemptFailed(RetryCondition why, int status, String reason) {
        attemptFailed(why, status, reason, true);
    }

    /**
     * An attempt failed before any response reached the client: sends the request again when
     * {@code retry_on}, the method, the body, {@code retries} and the pool's budget allow.
     *
     * @param failOtherwise whether to fail the exchange when no retry is made (false when the
     *                      backend's own answer, a 5xx, is relayed instead)
     * @return true when the request was sent again
     */
    private boolean attemptFailed(RetryCondition why, int status, String reason, boolean failOtherwise) {
        Backend failedOn = backend;
        boolean stale = reused && why == RetryCondition.RESET;
        lastStatus = status;
        lastReason = reason;
        boolean listed = shared.config().retryOn().contains(why);
        if (listed && !stale && why != RetryCondition.CONNECT_FAILURE) {
            // Connect failures were counted by the connect; a pooled connection that the backend
            // closed as the request went out says nothing about the backend's health.
            failedOn.onRequestFailed(reason);
        }
        boolean bodyOk = why == RetryCondition.CONNECT_FAILURE || replayable;
        boolean methodOk = why == RetryCondition.CONNECT_FAILURE || idempotent;
        if (stale && !staleRetried && bodyOk && methodOk && !hasOther()) {
            // Most likely the backend's keep-alive timer fired as the request went out: once
            // more on a fresh connection, whatever retry_on, retries and the budget say.
            log.debug("{}: pooled connection to {} failed before answering; retrying on a fresh one", shared.name(),
                    failedOn.name());
            staleRetried = true;
            resend(failedOn);
            freshOnly = true;
            connectTo(failedOn);
            return true;
        }
        if (failed == null) {
            failed = new HashSet<>(4);
        }
        failed.add(failedOn);
        if (!listed || !bodyOk || !methodOk || route == null || attempts > shared.config().retries()
                || !Routing.hasOther(route, failed)) {
            if (failOtherwise) {
                failAfterRetries(status, reason);
            } else if (retried > 0 && route != null) {
                shared.metrics().retriesExhausted(route.key());
            }
            return false;
        }
        if (!route.budget().tryRetry()) {
            shared.metrics().retryRefused(route.key());
            log.debug("{}: {}; not retried, the retry budget of pool '{}' is spent", shared.name(), reason, route.key());
            if (failOtherwise) {
                failAfterRetries(status, reason);
            } else if (retried > 0 && route != null) {
                shared.metrics().retriesExhausted(route.key());
            }
            return false;
        }
        log.debug("{}: {}; trying another backend", shared.name(), reason);
        resend(failedOn);
        freshOnly = false;
        attempt();
        return true;
    }

    /** Whether the pool has an eligible backend besides the current one and those that failed. */
    private boolean hasOther() {
        if (route == null) {
            return false;
        }
        Set<Backend> tried = new HashSet<>(failed == null ? Set.of() : failed);
        tried.add(backend);
        return Routing.hasOther(route, tried);
    }

    /** Drops the failed attempt's connection and readies the request to be sent again. */
    private void resend(Backend failedOn) {
        cancelFirstByte();
        closeUpstream();
        reused = false;
        retried++;
        failedOn.onRetried();
        shared.metrics().retried(route == null ? "" : route.key(), failedOn.name());
        if (hasBody && replay != null && !replay.isEmpty()) {
            // The body pieces already sent go first, before those still waiting to be sent.
            ArrayDeque<ByteBuf> again = replay;
            replay = null;
            replayBytes = 0;
            if (pending != null) {
                again.addAll(pending);
            }
            pending = again;
        }
        if (hasBody && !requestEnded) {
            pauseClient();
        }
    }

    /** Fails the exchange, counting a request that failed although it was retried. */
    private void failAfterRetries(int status, String reason) {
        if (retried > 0 && route != null) {
            shared.metrics().retriesExhausted(route.key());
        }
        fail(status, reason);
    }

    private void onClientClosed() {
        if (!done) {
            done = true;
            cleanup();
            closeUpstream();
            if (hooks != null) {
                hooks.onAbort();
            }
        }
    }

    private void fail(int status, String reason) {
        if (done) {
            return;
        }
        done = true;
        cleanup();
        closeUpstream();
        if (response != null && hooks != null) {
            hooks.onAbort();
        }
        if (response == null && hooks != null && hooks.onFail(status, reason)) {
            log.info("{}: {} {} {}: {}; answered from the cache", shared.name(), ex.method(), ex.host(), ex.rawPath(), reason);
            return;
        }
        if (detached || swallowing) {
            log.debug("{}: background fetch of {} {} failed: {}", shared.name(), ex.host(), ex.rawPath(), reason);
            return;
        }
        if (!ex.responded()) {
            log.warn("{}: {} {} {} → {}: {}", shared.name(), ex.method(), ex.host(), ex.rawPath(), status, reason);
            ResponseHead h = ResponseHead.of(status).header("Content-Type", "text/plain; charset=utf-8");
            if (hooks != null) {
                hooks.decorate(h);
            }
            ex.respond(h, Unpooled.wrappedBuffer((status + " " + Status.reason(status) + ": " + category(status) + "\n")
                    .getBytes(StandardCharsets.UTF_8)));
        } else {
            log.warn("{}: {} {} {} failed after the response began: {}; closing the client connection",
                    shared.name(), ex.method(), ex.host(), ex.rawPath(), reason);
            client.close();
        }
    }

    private static String category(int status) {
        return switch (status) {
            case 503 -> "no healthy backend";
            case 504 -> "the backend did not answer in time";
            case 403 -> "destination not allowed";
            default -> "the backend failed or sent a bad response";
        };
    }

    private void cancelFirstByte() {
        if (firstByte != null) {
            firstByte.cancel(false);
            firstByte = null;
        }
    }

    private void cleanup() {
        cancelFirstByte();
        releaseReplay();
        client.closeFuture().removeListener(clientClosed);
        while (pending != null && !pending.isEmpty()) {
            pending.poll().release();
        }
        resumeClient();
    }

    private void closeUpstream() {
        Channel ch = upstream;
        upstream = null;
        if (ch != null) {
            disown(ch);
            ch.close();
        }
    }

    private static void disown(Channel ch) {
        UpstreamHandler h = ch.pipeline().get(UpstreamHandler.class);
        if (h != null) {
            h.owner(null);
        }
    }
}
