package dev.portico.filestore;

import dev.portico.proxy.ProxyCache;
import dev.portico.proxy.UpstreamHead;
import dev.portico.web.http.Exchange;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * A GET or HEAD answered by one node, tried in turn: a connect error, a timeout, a 5xx, or (for
 * file URLs) a 404 sends the request to the next candidate. The first other answer is streamed to
 * the client as it arrives, paced by the client (the node's connection stops reading while the
 * client's is full); a small one that arrives whole goes out in one write. A 404 from one replica of a stage whose other replica then has the file is
 * a missing copy: logged, counted and queued in the handoff journal for a copy (read repair). With
 * a cache, a fresh stored response answers before any node is asked, and a storable answer is
 * copied into the cache as it streams (the proxy's cache through {@link ProxyCache}).
 */
final class ReadExchange implements NodeCall.Listener {

    private static final Logger log = LoggerFactory.getLogger(ReadExchange.class);
    /**
     * An answer with a Content-Length up to this size is held from its head until its body: when
     * the body came whole with it (as a small file's does), head and body go to the client in one
     * buffer and one write, rather than as a streamed head, a body piece and an end.
     */
    static final int ONE_WRITE_LIMIT = 16 * 1024;

    /**
     * One place to ask.
     *
     * @param uri   the request target sent to the node
     * @param node  the node
     * @param group the stage the copy belongs to (-1 for URLs outside the prefix): a 404 followed by a
     *              hit in the same group is a missing copy
     */
    record Attempt(String uri, NodeState node, int group) {
    }

    private final Exchange ex;
    private final Shared shared;
    private final List<Attempt> attempts;
    private final boolean failOver404;
    private final Channel client;
    private final ChannelFutureListener clientClosed = f -> clientGone();
    private int next;
    private NodeCall call;
    private Attempt current;
    /** The node that answered 404 in the current group, or null. */
    private Attempt missed;
    private boolean streaming;
    /** A small answer's head, awaiting its body to be written with it; null otherwise. */
    private UpstreamHead held;
    private boolean done;
    private String lastFailure = "no node to ask";
    private boolean lastTimedOut;
    /** The copy of the answer going into the cache, or null. */
    private ProxyCache.Fill fill;

    ReadExchange(Exchange ex, Shared shared, List<Attempt> attempts, boolean failOver404) {
        this.ex = ex;
        this.shared = shared;
        this.attempts = attempts;
        this.failOver404 = failOver404;
        this.client = ex.context().channel();
    }

    /**
     * Asks the nodes; a client that is gone by now (a cache's disk lookup took a while) ends it at
     * once. The cache, when there is one, was asked before (see {@link Router}).
     */
    void start() {
        client.closeFuture().addListener(clientClosed);
        tryNext();
    }

    private void tryNext() {
        if (done) {
            return;
        }
        if (next >= attempts.size()) {
            finish();
            respondError(lastTimedOut ? 504 : 502, lastFailure);
            return;
        }
        current = attempts.get(next++);
        if (missed != null && missed.group() != current.group()) {
            missed = null;
        }
        NodeCall c = NodeCall.prepare(shared.nodes(), client.eventLoop(), current.node(),
                NodeHeaders.request(ex.method(), current.uri(), ex.headers(), -2, false), false, this);
        call = c;
        c.start();
    }

    private boolean hasNext() {
        return next < attempts.size();
    }

    @Override
    public void onHead(NodeCall c, UpstreamHead head) {
        if (done || c != call) {
            return;
        }
        int code = head.status();
        if (hasNext() && (code >= 500 || code == 404 && failOver404)) {
            log.debug("{}: {} {} on {} answered {}; trying the next copy", shared.name(), ex.method(), c.uri(),
                    c.node(), code);
            if (code == 404 && missed == null) {
                missed = current;
            } else if (code >= 500) {
                c.node().backend().onRequestFailed("answered " + code);
            }
            lastFailure = c.node() + " answered " + code;
            c.abort();
            tryNext();
            return;
        }
        if (code >= 200 && code < 300 && missed != null && missed.group() == current.group()) {
            shared.metrics().missingCopies.increment();
            log.info("{}: missing copy: {} is on {} but not on {}", shared.name(), current.uri(), current.node(),
                    missed.node());
            StorePool pool = shared.config().pool(ex.host());
            StorePath p = StorePath.parse(ex.rawPath(), shared.config().prefix());
            if (pool != null && p.filePath() != null) {
                shared.handoff().readRepair(pool.host(), missed.node().name(),
                        Router.stagedUri(shared.config(), current.group(), p.filePath()));
            }
        }
        streaming = true;
        if (shared.cache() != null) {
            fill = shared.cache().fill(ex, head.toHttpResponse());
        }
        long length = head.chunked() ? -1 : head.contentLength();
        if (length > 0 && length <= ONE_WRITE_LIMIT && code != 204 && code != 304 && !ex.isHead()) {
            held = head; // its body, read with it as a rule, goes out with it
            return;
        }
        // the node's fields go to the client as they came, less hop-by-hop and framing ones
        ex.beginStream(code, head, length);
        if (!ex.bodyOpen()) {
            // a bodiless answer (HEAD, 204, 304): the node's response ends by itself, and its
            // connection may be kept
            finish();
        }
    }

    @Override
    public void onBody(NodeCall c, ByteBuf content, boolean last) {
        if (done || c != call) {
            return;
        }
        if (held != null) {
            UpstreamHead h = held;
            held = null;
            if (last && content.readableBytes() == h.contentLength()) {
                if (fill != null) {
                    fill.body(content);
                    fill.end();
                }
                finish();
                ex.respond(h.status(), h, content.retain());
                return;
            }
            ex.beginStream(h.status(), h, h.contentLength());
        }
        if (!ex.bodyOpen()) {
            return;
        }
        if (fill != null) {
            fill.body(content);
            if (last) {
                fill.end();
            }
        }
        if (content.isReadable()) {
            ChannelFuture f = ex.writeChunk(content.retain());
            if (!client.isWritable() && !last) {
                c.reading(false);
                f.addListener(w -> c.reading(true));
            }
        }
        if (last) {
            finish();
            ex.endChunked();
        }
    }

    @Override
    public void onFailure(NodeCall c, String reason, boolean timeout) {
        if (done || c != call) {
            return;
        }
        if (streaming) {
            // Part of the answer is out: the client can only learn of the failure by the close.
            log.info("{}: {} {} from {} broke off: {}", shared.name(), ex.method(), c.uri(), c.node(), reason);
            finish();
            client.close();
            return;
        }
        lastFailure = reason;
        lastTimedOut = timeout;
        tryNext();
    }

    private void respondError(int status, String reason) {
        log.debug("{}: {} {}: {}", shared.name(), ex.method(), ex.rawPath(), reason);
        ex.respond(status, "text/plain; charset=utf-8", status + " " + (status == 504 ? "Gateway Timeout" : "Bad Gateway")
                + ": no copy could be read (" + reason + ")\n");
    }

    private void finish() {
        done = true;
        if (fill != null) {
            fill.abort(); // nothing more after the end; a broken-off answer is not stored
        }
        client.closeFuture().removeListener(clientClosed);
    }

    private void clientGone() {
        if (!done) {
            done = true;
            if (call != null) {
                call.abort();
            }
        }
    }
}
