package dev.portico.filestore;

import dev.portico.proxy.UpstreamHead;
import dev.portico.web.http.BodySink;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A PUT, DELETE or MKCOL sent to every replica of a file at once. A request body streams to all
 * of them in parallel and is read from the client only as fast as the slowest replica takes it
 * (each node connection has a bounded outbound buffer; above its high mark the client is paused),
 * so memory stays bounded whatever the body's size. A body of at most {@link #HOLD_LIMIT} bytes
 * (with a Content-Length) goes to each node with its head at once, and the router keeps it until
 * the answer, so that a node that answers 409 (a parent collection is missing) gets the parents
 * created with MKCOL and the whole PUT again. A larger or chunked body is announced with
 * {@code Expect: 100-continue} and flows once every node said 100 Continue (or after
 * {@link #CONTINUE_WAIT_MILLIS}); a 409 then comes before any of it went out. Node connections
 * are kept for the next request once a request went out whole and its answer ended. The client hears
 * success only when {@code write_quorum} replicas answered 2xx, with {@code X-Copies: ok/total};
 * fewer is 502 (or 503 when the missing ones could not be reached). A client that goes away
 * before its body ends makes the router close every node connection mid-body, so the nodes
 * (whose PUT is atomic) keep nothing, and nothing is acknowledged.
 */
final class WriteExchange implements BodySink {

    private static final Logger log = LoggerFactory.getLogger(WriteExchange.class);
    /** How long a node may take to answer 100 Continue before the body is sent anyway. */
    static final long CONTINUE_WAIT_MILLIS = 1000;
    /** Bodies up to this size are sent without waiting for 100 Continue, and kept to send again. */
    static final int HOLD_LIMIT = 64 * 1024;

    private enum State { OPENING, WAITING, READY, DONE }

    private final Exchange ex;
    private final Shared shared;
    private final Channel client;
    private final HttpMethod method;
    private final boolean hasBody;
    private final long contentLength;
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>(4);
    /** A small body: sent at once, and kept whole until the answer. */
    private final boolean holds;
    /** The small body received so far, when {@link #holds}. */
    private final List<ByteBuf> held;
    private List<Upload> uploads;
    private String location;
    private boolean requestEnded;
    private boolean gateOpen;
    private boolean done;
    private boolean clientPaused;
    private ScheduledFuture<?> continueTimer;
    private String pool;
    /** The file's path for the handoff journal while the write is registered with it, else null. */
    private String journalUri;
    /** The node a handoff replay was copying the file to when this write began, or null. */
    private String contested;

    WriteExchange(Exchange ex, Shared shared) {
        this.ex = ex;
        this.shared = shared;
        this.client = ex.context().channel();
        this.method = ex.method();
        this.hasBody = ex.hasBody();
        this.contentLength = HttpUtil.isTransferEncodingChunked(ex.request()) ? -1
                : HttpUtil.getContentLength(ex.request(), hasBody ? -1L : 0L);
        this.holds = hasBody && contentLength >= 0 && contentLength <= HOLD_LIMIT;
        this.held = holds ? new ArrayList<>(2) : null;
    }

    /** Starts taking the body (held back until the nodes are ready for it). */
    void start() {
        if (hasBody) {
            if (!holds) {
                pauseClient();
            }
            ex.receiveBody(this);
        } else {
            requestEnded = true;
        }
    }

    /**
     * Sends the request to the replicas of a file.
     *
     * @param uri      the request target for the nodes
     * @param replicas the nodes holding the file's copies
     * @param location the Location of the answer (a stage-less PUT), or null
     * @param pool     the Host key of the file's pool, for the handoff journal
     * @param path     the file's staged path without query ({@code /<prefix>_<stage>/<path>}), for the journal
     */
    void begin(String uri, List<NodeState> replicas, String location, String pool, String path) {
        if (done) {
            return;
        }
        this.location = location;
        this.pool = pool;
        journalUri = path;
        contested = shared.handoff().writeBegins(journalUri);
        uploads = new ArrayList<>(replicas.size());
        for (NodeState n : replicas) {
            uploads.add(new Upload(n, uri));
        }
        gateOpen = holds;
        for (Upload u : uploads) {
            u.open();
        }
        if (hasBody && !holds && !done) {
            continueTimer = client.eventLoop().schedule(() -> {
                for (Upload u : uploads) {
                    if (u.state == State.WAITING) {
                        u.state = State.READY;
                    }
                }
                openGateIfReady();
            }, CONTINUE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Answers without asking the nodes (a stage-less DELETE of a file no stage holds). */
    void refuse(int status, String text) {
        if (done) {
            return;
        }
        finish();
        ex.respond(ResponseHead.of(status).header("Content-Type", "text/plain; charset=utf-8"),
                Unpooled.wrappedBuffer((status + " " + text + "\n").getBytes(StandardCharsets.UTF_8)));
    }

    // ---- the client's body ---------------------------------------------------------------------

    @Override
    public void onData(ByteBuf data) {
        if (done) {
            return;
        }
        if (holds) {
            held.add(data.retain());
            if (uploads != null) {
                for (Upload u : uploads) {
                    if (u.state == State.READY && u.call.open()) {
                        u.call.write(data.retainedDuplicate());
                    }
                }
            }
            return;
        }
        if (!gateOpen) {
            pending.add(data.retain());
            return;
        }
        send(data.retain());
    }

    /** Sends a piece of the body to every replica still taking it; takes {@code data}. */
    private void send(ByteBuf data) {
        boolean full = false;
        try {
            for (Upload u : uploads) {
                if (u.state == State.READY && u.call.open()) {
                    u.call.write(data.retainedDuplicate());
                    full |= !u.call.writable();
                }
            }
        } finally {
            data.release();
        }
        if (full) {
            pauseClient();
        }
    }

    @Override
    public void onEnd() {
        requestEnded = true;
        if (done || !gateOpen || uploads == null) {
            return;
        }
        sendEnd();
    }

    private void sendEnd() {
        for (Upload u : uploads) {
            if (u.state == State.READY && u.call.open()) {
                u.end();
            }
        }
    }

    @Override
    public void onAbort() {
        if (done) {
            return;
        }
        log.info("{}: {} {} from {}: the client went away before the body ended; the node uploads are cancelled",
                shared.name(), method, ex.rawPath(), ex.remoteAddress());
        finish();
        if (uploads != null) {
            for (Upload u : uploads) {
                u.cancel();
            }
        }
        writeEnded();
        shared.metrics().writesFailed.increment();
    }

    private void pauseClient() {
        if (!clientPaused) {
            clientPaused = true;
            client.config().setAutoRead(false);
        }
    }

    private void resumeClient() {
        if (clientPaused) {
            clientPaused = false;
            client.config().setAutoRead(true);
        }
    }

    /** The client may send more when every replica still taking the body has room. */
    private void resumeIfRoom() {
        if (done || !gateOpen || requestEnded) {
            return;
        }
        for (Upload u : uploads) {
            if (u.state == State.READY && u.call.open() && !u.call.writable()) {
                return;
            }
        }
        resumeClient();
    }

    /** Once no replica is still connecting or waiting for 100 Continue, the body flows. */
    private void openGateIfReady() {
        if (done || gateOpen || !hasBody || uploads == null) {
            return;
        }
        for (Upload u : uploads) {
            if (u.state == State.OPENING || u.state == State.WAITING) {
                return;
            }
        }
        gateOpen = true;
        if (continueTimer != null) {
            continueTimer.cancel(false);
        }
        while (!pending.isEmpty()) {
            send(pending.poll());
        }
        if (requestEnded) {
            sendEnd();
        } else {
            resumeIfRoom();
        }
    }

    // ---- the answer ----------------------------------------------------------------------------

    private void uploadDone() {
        if (done) {
            return;
        }
        openGateIfReady();
        resumeIfRoom();
        for (Upload u : uploads) {
            if (u.state != State.DONE) {
                return;
            }
        }
        answer();
    }

    private void answer() {
        finish();
        int total = uploads.size();
        int ok = 0;
        int created = 0;
        int firstOk = 0;
        int common = -1;
        boolean unreachable = false;
        boolean delete = method.equals(HttpMethod.DELETE);
        for (Upload u : uploads) {
            if (u.good()) {
                ok++;
                created += u.status == 201 ? 1 : 0;
                firstOk = firstOk == 0 ? u.status : firstOk;
            }
            unreachable |= u.status == 0;
            common = common == -1 ? u.status : common == u.status ? common : 0;
        }
        String copies = ok + "/" + total;
        int quorum = shared.config().writeQuorum();
        if (delete && common == 404) {
            writeEnded();
            respond(404, copies, "404 Not Found: no copy of " + ex.rawPath() + " on its nodes");
            shared.metrics().writesFailed.increment();
            return;
        }
        if (ok >= quorum) {
            int status = created > 0 ? 201 : firstOk == 404 ? 204 : firstOk;
            int acknowledged = ok;
            journal(ok, () -> {
                (acknowledged == total ? shared.metrics().writesComplete : shared.metrics().writesDegraded).increment();
                if (acknowledged < total) {
                    log.warn("{}: {} {} acknowledged with {} copies: {}", shared.name(), method, ex.rawPath(), copies,
                            failures());
                }
                respond(status, copies, null);
            }, copies);
            return;
        }
        int status = ok == 0 && common >= 400 && common < 500 ? common : unreachable ? 503 : 502;
        journal(ok, () -> {
            shared.metrics().writesFailed.increment();
            log.warn("{}: {} {} failed with {} copies ({} needed): {}", shared.name(), method, ex.rawPath(), copies,
                    quorum, failures());
            respond(status, copies, status + " " + (status == 503 ? "Service Unavailable" : status == 502
                    ? "Bad Gateway" : "refused") + ": " + copies + " copies written, " + quorum + " needed ("
                    + failures() + ")");
        }, null);
    }

    /**
     * Records in the handoff journal which replicas missed the write, then runs {@code reply}: at
     * once when nothing needs recording, else once the record is on disk. An acknowledgement
     * ({@code ackCopies} not null) that the journal cannot take becomes a 503 instead: a write is
     * never acknowledged without the record that lets its missing copies be made.
     */
    private void journal(int ok, Runnable reply, String ackCopies) {
        HandoffJournal journal = shared.handoff().journal();
        List<String> reached = new ArrayList<>(uploads.size());
        List<String> missed = new ArrayList<>(2);
        for (Upload u : uploads) {
            (u.good() && !u.node.name().equals(contested) ? reached : missed).add(u.node.name());
        }
        boolean delete = method.equals(HttpMethod.DELETE);
        if (ok == 0 || missed.isEmpty() && !delete && !journal.touches(journalUri)) {
            writeEnded();
            reply.run();
            return;
        }
        HandoffJournal.Kind kind = delete ? HandoffJournal.Kind.DELETE
                : method.equals(Router.MKCOL) ? HandoffJournal.Kind.MKCOL : HandoffJournal.Kind.PUT;
        CompletableFuture<Void> recorded = journal.afterWrite(kind, pool, journalUri, reached, missed,
                shared.handoff().now());
        writeEnded();
        if (recorded.isDone() && !recorded.isCompletedExceptionally()) {
            reply.run();
            return;
        }
        recorded.whenComplete((v, failure) -> client.eventLoop().execute(() -> {
            if (failure == null || ackCopies == null) {
                reply.run();
                return;
            }
            Throwable why = failure instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                    ? c.getCause() : failure;
            shared.metrics().writesFailed.increment();
            log.warn("{}: {} {} not acknowledged: {}", shared.name(), method, ex.rawPath(), why.getMessage());
            respond(503, ackCopies, "503 Service Unavailable: " + ackCopies + " copies written, but "
                    + why.getMessage() + "; the write is not acknowledged");
        }));
    }

    private void writeEnded() {
        if (journalUri != null) {
            shared.handoff().writeEnds(journalUri);
            journalUri = null;
        }
    }

    private String failures() {
        StringBuilder b = new StringBuilder();
        for (Upload u : uploads) {
            if (u.failure != null) {
                b.append(b.isEmpty() ? "" : "; ").append(u.failure);
            }
        }
        return b.toString();
    }

    private void respond(int status, String copies, String text) {
        ResponseHead h = ResponseHead.of(status).header("X-Copies", copies);
        if (location != null && status >= 200 && status < 300) {
            h.header("Location", location);
        }
        ByteBuf body = Unpooled.EMPTY_BUFFER;
        if (text != null) {
            h.header("Content-Type", "text/plain; charset=utf-8");
            body = Unpooled.wrappedBuffer((text + "\n").getBytes(StandardCharsets.UTF_8));
        }
        if (!requestEnded) {
            ex.closeAfterResponse();
        }
        ex.respond(h, body);
    }

    private void finish() {
        done = true;
        if (continueTimer != null) {
            continueTimer.cancel(false);
        }
        while (!pending.isEmpty()) {
            pending.poll().release();
        }
        if (held != null) {
            for (ByteBuf b : held) {
                b.release();
            }
            held.clear();
        }
        resumeClient();
    }

    /** One replica's request, its state and its answer. */
    private final class Upload implements NodeCall.Listener {
        private final NodeState node;
        private final String uri;
        private NodeCall call;
        private State state = State.OPENING;
        /** The node's final status, 0 while none (or when it could not be reached). */
        private int status;
        private String failure;
        private boolean parentsMade;
        /** The request's end went out: the node's answer may leave the connection for the next request. */
        private boolean endSent;
        /** Sent again once on a fresh connection after a kept one failed under it. */
        private boolean resent;

        Upload(NodeState node, String uri) {
            this.node = node;
            this.uri = uri;
        }

        void open() {
            state = State.OPENING;
            endSent = !hasBody;
            NodeCall c = NodeCall.prepare(shared.nodes(), client.eventLoop(), node,
                    NodeHeaders.request(method, uri, ex.headers(), hasBody ? contentLength
                            : method.equals(HttpMethod.PUT) ? 0 : -2, hasBody && !holds), hasBody, this);
            call = c;
            c.start();
        }

        void end() {
            endSent = true;
            call.end();
        }

        /** A held body: what the client sent so far, and its end when it came. */
        private void catchUp() {
            for (ByteBuf b : held) {
                call.write(b.retainedDuplicate());
            }
            if (requestEnded) {
                end();
            }
        }

        /** Whether the node took the write (a DELETE of a file it does not have counts). */
        boolean good() {
            return status >= 200 && status < 300 || status == 404 && method.equals(HttpMethod.DELETE);
        }

        void cancel() {
            if (call != null) {
                call.abort();
            }
            state = State.DONE;
        }

        @Override
        public void onOpen(NodeCall c) {
            if (c == call && state == State.OPENING) {
                state = hasBody && !holds ? State.WAITING : State.READY;
                if (holds && !done) {
                    catchUp();
                }
            }
        }

        @Override
        public void onContinue(NodeCall c) {
            if (c == call && state == State.WAITING) {
                state = State.READY;
                openGateIfReady();
            }
        }

        @Override
        public void onHead(NodeCall c, UpstreamHead head) {
            if (c != call || state == State.DONE) {
                return;
            }
            int code = head.status();
            boolean bodyNotSent = !gateOpen;
            if (code == 409 && !method.equals(HttpMethod.DELETE) && !parentsMade && (bodyNotSent || !hasBody || holds)) {
                parentsMade = true;
                c.abort();
                state = State.WAITING;
                new Parents(this).next();
                return;
            }
            status = code;
            if (code < 200 || code >= 300) {
                failure = node + " answered " + code;
            }
            state = State.DONE;
            if (!endSent) {
                c.abort(); // answered before the body ended: the connection's framing is unknown
            }
            uploadDone();
        }

        @Override
        public void onBody(NodeCall c, ByteBuf content, boolean last) {
        }

        @Override
        public void onFailure(NodeCall c, String reason, boolean timeout) {
            if (c != call || state == State.DONE) {
                return;
            }
            if (holds && c.reused() && !timeout && !resent && !done) {
                // a kept connection the node had closed meanwhile: the held body goes again on another
                resent = true;
                open();
                return;
            }
            failed(reason, 0);
        }

        void failed(String reason, int code) {
            failure = reason;
            status = code;
            state = State.DONE;
            uploadDone();
        }

        @Override
        public void onWritable(NodeCall c) {
            if (c == call) {
                resumeIfRoom();
            }
        }
    }

    /** Creates the missing parent collections of an upload's target on its node, then opens the PUT again. */
    private final class Parents implements NodeCall.Listener {
        private final Upload upload;
        private final List<String> parents = new ArrayList<>();
        private int next;
        private NodeCall call;

        Parents(Upload upload) {
            this.upload = upload;
            String u = upload.uri;
            int q = u.indexOf('?');
            String path = q < 0 ? u : u.substring(0, q);
            for (int i = path.indexOf('/', 1); i > 0 && i < path.length() - 1; i = path.indexOf('/', i + 1)) {
                parents.add(path.substring(0, i + 1));
            }
        }

        void next() {
            if (done || upload.state == State.DONE) {
                return;
            }
            if (next >= parents.size()) {
                upload.open();
                return;
            }
            call = NodeCall.prepare(shared.nodes(), client.eventLoop(), upload.node,
                    NodeHeaders.request(Router.MKCOL, parents.get(next++), NodeHeaders.hostOnly(ex.headers()), -2,
                            false), false,
                    this);
            call.start();
        }

        @Override
        public void onHead(NodeCall c, UpstreamHead head) {
            int code = head.status();
            c.abort();
            if (code == 201 || code == 405) {
                next();
            } else {
                upload.failed(upload.node + " answered " + code + " to MKCOL " + c.uri(), code);
            }
        }

        @Override
        public void onBody(NodeCall c, ByteBuf content, boolean last) {
        }

        @Override
        public void onFailure(NodeCall c, String reason, boolean timeout) {
            upload.failed(reason, 0);
        }
    }
}
