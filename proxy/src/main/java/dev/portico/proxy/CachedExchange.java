package dev.portico.proxy;

import dev.portico.proxy.cache.BodyBuffer;
import dev.portico.proxy.cache.CacheKey;
import dev.portico.proxy.cache.CachePolicy;
import dev.portico.proxy.cache.CacheResult;
import dev.portico.proxy.cache.CachedResponse;
import dev.portico.proxy.cache.HttpCache;
import dev.portico.proxy.cache.HttpDate;
import dev.portico.proxy.cache.Variants;
import dev.portico.web.files.Conditionals;
import dev.portico.web.files.Ranges;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.HttpDates;
import dev.portico.web.http.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One request through the cache, on the client's event loop: look the URL up (memory, then disk
 * off the loop), answer a fresh entry at once, revalidate a stale one with the backend, coalesce
 * concurrent misses behind one fetch, serve stale content while refreshing or when the backends
 * fail, and tee a storable response into the cache while it streams to the client. The fetch
 * itself is a {@link ProxyExchange} with this object as its {@link ExchangeHooks}.
 *
 * <p>A HEAD that is not answered from the cache is fetched as GET (nginx's
 * {@code proxy_cache_convert_head}): a storable response is read whole, stored, and the client gets
 * its head with the real Content-Length; any other response's head is relayed.
 *
 * <p>A GET with {@code Range} is answered from a stored entry (206, multipart/byteranges or 416,
 * honouring If-Range). On a miss the full object is fetched without the Range; a 200 that can be
 * stored is read whole, stored, and the range is answered from the entry. A 200 that cannot (too
 * large, or not storable) answers the range from that same response, so the backend is asked
 * once: one range of a body of known length is relayed as a 206 slice while it streams, and the
 * upstream connection is closed once the slice is out; several ranges are answered from the body
 * read whole when it is no larger than {@code max_object_size}; an unsatisfiable range gets 416.
 * Otherwise (unknown length, a large multi-range, an If-Range that does not hold) the 200 is
 * relayed whole, as RFC 9110 §14.2 allows. A body of unknown length being stored that outgrows
 * {@code max_object_size} is answered from itself too, see {@link #outgrown}.
 */
final class CachedExchange implements ExchangeHooks {

    private static final Logger log = LoggerFactory.getLogger(CachedExchange.class);
    /** Response fields never kept in a stored entry. */
    private static final Set<String> NOT_STORED = Set.of("age", "set-cookie", "x-cache", "x-cache-stale-reason");
    /** Response fields not kept in a body read only to answer ranges from (it keeps Set-Cookie). */
    private static final Set<String> NOT_RELAYED_FROM_BODY = Set.of("age", "x-cache", "x-cache-stale-reason");
    private static final byte[] NO_BODY = new byte[0];
    private final Exchange ex;
    private final ProxyShared shared;
    private final HttpCache cache;
    private final EventLoop loop;
    private final boolean background;
    private boolean passThrough;
    private String key;
    private CachePolicy.RequestRules rules;
    /** The stored entry being revalidated, or kept for stale-if-error. */
    private CachedResponse stored;
    private boolean revalidating;
    private boolean leader;
    private boolean coalesce = true;
    private boolean resumed;
    private ScheduledFuture<?> waitTimer;
    private CacheResult result = CacheResult.MISS;
    private BodyBuffer tee;
    private HttpResponse response;
    private long requestTime;
    private long responseTime;
    private long lifetime;
    /** The client's answer waits for the whole response (a HEAD fetched as GET), then comes from it. */
    private boolean answerAtEnd;
    /** Body bytes seen while {@link #answerAtEnd}. */
    private long bodyBytes;
    /** The hooks answered and want no body: the upstream connection is dropped. */
    private boolean dropBody;
    /** A GET with a Range header: answered from an entry, or from a slice of the relayed 200. */
    private boolean ranged;
    /** The body read whole only to answer ranges from: not stored. */
    private boolean transientBody;
    /** The range relayed as a 206 slice of a relayed 200, or null. */
    private Ranges.Range slice;
    /** The whole body's length while {@link #slice} is set, or -1 when not known. */
    private long sliceTotal;
    /** Body bytes relayed so far while {@link #slice} is set. */
    private long relayedOffset;
    /** A response being stored for a Range request that outgrew the limit, given back to the relay. */
    private ExchangeHooks.Resumed givenBack;

    private CachedExchange(Exchange ex, ProxyShared shared, boolean background) {
        this.ex = ex;
        this.shared = shared;
        this.cache = shared.cache();
        this.loop = ex.context().channel().eventLoop();
        this.background = background;
    }

    /** True when the backend is told who the client is (its verified certificate's subject). */
    private boolean identified() {
        return shared.clientCertHeader() != null
                && ClientForwarding.of(ex.context().channel(), ex.remoteAddress().getAddress()).subject != null;
    }

    /** Handles a client request of a caching proxy. */
    static void handle(Exchange ex, ProxyShared shared) {
        new CachedExchange(ex, shared, false).start();
    }

    private void start() {
        HttpMethod m = ex.method();
        rules = CachePolicy.request(ex.headers());
        key = CacheKey.of("http", ex.headers().get("Host"), ex.request().uri());
        boolean readable = m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD);
        if (!readable || ex.hasBody() || ForwardHeaders.isWebSocket(ex.headers()) || rules.bypass()) {
            bypass();
            return;
        }
        ranged = m.equals(HttpMethod.GET) && ex.headers().contains("Range");
        cache.lookup(key, loop, this::found);
    }

    /** Sends the request to a backend as it is, outside the cache. */
    private void bypass() {
        passThrough = true;
        result = CacheResult.BYPASS;
        cache.count(CacheResult.BYPASS);
        new ProxyExchange(ex, shared, this, false).start();
    }

    private void found(Variants variants) {
        long now = cache.clock().millis();
        CachedResponse e = variants == null ? null : variants.select(ex.headers());
        if (e != null && e.staleness(now) > cache.policy().keepStale(e)) {
            e = null;
        }
        if (e != null) {
            long staleness = e.staleness(now);
            if (!rules.revalidate() && CachePolicy.fresh(e, now, rules)) {
                serve(e, CacheResult.HIT, null);
                return;
            }
            if (!rules.revalidate() && staleness >= 0 && staleness < cache.policy().staleWhileRevalidate(e)) {
                serve(e, CacheResult.STALE, "updating");
                refresh(e);
                return;
            }
            if (rules.onlyIfCached()) {
                answerError(504, "504 Gateway Timeout: only-if-cached and the stored response is stale\n");
                return;
            }
            stored = e;
            revalidating = e.hasValidator();
            fetch();
            return;
        }
        if (rules.onlyIfCached()) {
            answerError(504, "504 Gateway Timeout: only-if-cached and nothing is stored\n");
            return;
        }
        if (coalesce) {
            if (cache.lead(key)) {
                leader = true;
            } else if (follow()) {
                return;
            } else {
                coalesce = false;
                cache.lookup(key, loop, this::found);
                return;
            }
        }
        fetch();
    }

    // ---- coalescing ----------------------------------------------------------------------------

    private boolean follow() {
        if (!cache.follow(key, () -> loop.execute(this::flightEnded))) {
            return false;
        }
        cache.waiting().incrementAndGet();
        waitTimer = loop.schedule(this::waitTimedOut, cache.config().coalesceTimeout().toMillis(), TimeUnit.MILLISECONDS);
        return true;
    }

    private void flightEnded() {
        if (resumed) {
            return;
        }
        resumed = true;
        waitTimer.cancel(false);
        cache.waiting().decrementAndGet();
        coalesce = false;
        cache.lookup(key, loop, this::found);
    }

    private void waitTimedOut() {
        if (resumed) {
            return;
        }
        resumed = true;
        cache.waiting().decrementAndGet();
        coalesce = false;
        log.debug("{}: {} waited {} for another fetch; going to a backend", shared.name(), key,
                cache.config().coalesceTimeout());
        fetch();
    }

    private void finishFlight() {
        if (leader) {
            leader = false;
            cache.finish(key);
        }
    }

    // ---- fetching ------------------------------------------------------------------------------

    private void fetch() {
        requestTime = cache.clock().millis();
        new ProxyExchange(ex, shared, this, background).start();
    }

    /** Starts the one background refresh of a URL served stale (stale-while-revalidate). */
    private void refresh(CachedResponse e) {
        if (!cache.beginRefresh(key)) {
            return;
        }
        CachedExchange bg = new CachedExchange(ex, shared, true);
        bg.key = key;
        bg.rules = rules;
        bg.stored = e;
        bg.revalidating = e.hasValidator();
        bg.fetch();
    }

    @Override
    public void request(HttpHeaders out) {
        if (passThrough) {
            return;
        }
        // The cache asks for a complete response (it answers the client's own conditionals and
        // ranges itself).
        out.remove("If-None-Match");
        out.remove("If-Modified-Since");
        out.remove("Range");
        out.remove("If-Range");
        if (revalidating) {
            String etag = stored.etag();
            String lm = stored.lastModified();
            if (etag != null) {
                out.set("If-None-Match", etag);
            }
            if (lm != null) {
                out.set("If-Modified-Since", lm);
            }
        }
    }

    @Override
    public HttpMethod method(HttpMethod asked) {
        return passThrough ? asked : HttpMethod.GET;
    }

    @Override
    public boolean wantsBody() {
        return !dropBody;
    }

    @Override
    public boolean onResponse(HttpResponse r) {
        int code = r.status().code();
        if (passThrough) {
            if (code < 400 && !ex.method().equals(HttpMethod.GET) && !ex.method().equals(HttpMethod.HEAD)) {
                cache.invalidate(key);
            }
            return false;
        }
        long now = cache.clock().millis();
        if (stored != null && revalidating && code == 304) {
            CachedResponse updated = revalidated(stored, r, now);
            cache.update(key, stored, updated);
            if (!background) {
                serve(updated, CacheResult.REVALIDATED, null);
            }
            return true;
        }
        if (code >= 500 && stored != null) {
            if (background) {
                return true;
            }
            if (staleIfError(now)) {
                serve(stored, CacheResult.STALE, "error");
                return true;
            }
        }
        result = CacheResult.MISS;
        if (cache.policy().storable(ex.headers(), code, r.headers(), identified())
                && !ForwardHeaders.hidesVariedField(ex.headers(), r.headers().getAll("Vary"))) {
            long life = cache.policy().lifetime(code, r.headers(), RequestTarget.path(ex), now);
            boolean validator = r.headers().contains("ETag") || r.headers().contains("Last-Modified");
            long length = HttpUtil.getContentLength(r, -1L);
            long max = cache.config().maxObjectSize();
            if ((life > 0 || (life == 0 && validator)) && length <= max) {
                lifetime = life;
                response = r;
                responseTime = now;
                tee = new BodyBuffer(max, length);
            }
        }
        if (tee == null) {
            if (stored != null && code < 300) {
                cache.invalidate(key);
            }
            finishFlight();
        }
        if (ex.isHead() && !background) {
            return headAnswer(r);
        }
        if (ranged && !background && code == 200) {
            if (tee != null) {
                answerAtEnd = true;
                return true;
            }
            return rangeOfUnstored(r, now);
        }
        return false;
    }

    /**
     * The client's Range against a 200 that is not stored, answered from this response (the
     * backend is not asked again): 416, a 206 slice relayed as it streams, several ranges from
     * the body read whole, or the whole 200 relayed.
     *
     * @return true when answered here (416, or read whole to answer at the end)
     */
    private boolean rangeOfUnstored(HttpResponse r, long now) {
        long length = HttpUtil.getContentLength(r, -1L);
        if (length < 0 || HttpUtil.isTransferEncodingChunked(r) || !Conditionals.ifRangeHolds(
                ex.headers().get("If-Range"), r.headers().get("ETag"),
                HttpDate.parse(r.headers().get("Last-Modified"), now), now)) {
            return false;
        }
        Ranges.Result ranges = Ranges.parse(ex.headers().get("Range"), length);
        if (ranges instanceof Ranges.Unsatisfiable) {
            dropBody = true;
            String head = "Content-Range: bytes */" + length + "\r\nContent-Length: 0\r\n";
            ex.respondPrerendered(416, head.getBytes(StandardCharsets.ISO_8859_1),
                    StoredAnswer.extraLines(-1, CacheResult.MISS, null), NO_BODY, 0, 0);
            cache.count(CacheResult.MISS);
            return true;
        }
        if (!(ranges instanceof Ranges.Satisfiable s)) {
            return false;
        }
        if (s.ranges().size() == 1) {
            slice = s.ranges().getFirst();
            sliceTotal = length;
            return false;
        }
        if (length > cache.config().maxObjectSize()) {
            return false;
        }
        response = r;
        responseTime = now;
        transientBody = true;
        tee = new BodyBuffer(length, length);
        answerAtEnd = true;
        return true;
    }

    @Override
    public long relayedLength(long length) {
        return slice == null ? length : slice.length();
    }

    @Override
    public ByteBuf relayed(ByteBuf data) {
        if (slice == null) {
            return data;
        }
        long start = relayedOffset;
        int n = data.readableBytes();
        relayedOffset += n;
        long from = Math.max(start, slice.first());
        long to = Math.min(start + n, slice.last() + 1);
        if (from >= to) {
            return Unpooled.EMPTY_BUFFER;
        }
        return data.slice(data.readerIndex() + (int) (from - start), (int) (to - from));
    }

    /**
     * A HEAD fetched as GET: a response being stored is answered from its entry at the end; one
     * with a small announced body is relayed (the head goes out, the body is read and dropped);
     * any other gets its head now and loses its upstream connection rather than being read whole.
     */
    private boolean headAnswer(HttpResponse r) {
        if (tee != null) {
            answerAtEnd = true;
            return true;
        }
        long length = HttpUtil.getContentLength(r, -1L);
        if (length >= 0 && length <= cache.config().maxObjectSize()) {
            return false;
        }
        answerHead(r, length);
        dropBody = true;
        return true;
    }

    /** The backend's head, as a relay would send it, with the length counted or announced. */
    private void answerHead(HttpResponse r, long length) {
        ResponseHead h = ForwardHeaders.response(r, false);
        decorate(h);
        if (length >= 0) {
            h.set("Content-Length", length);
        }
        ex.beginFixedLength(h);
    }

    private boolean staleIfError(long now) {
        return stored != null && stored.staleness(now) <= cache.policy().staleIfError(stored);
    }

    /** The stored entry with the 304's headers merged in (RFC 9111 §3.2, §4.3.4). */
    private CachedResponse revalidated(CachedResponse old, HttpResponse r, long now) {
        List<String> fresh = ForwardHeaders.responseHeaders(r, NOT_STORED);
        Set<String> replaced = new java.util.HashSet<>();
        for (int i = 0; i < fresh.size(); i += 2) {
            String n = fresh.get(i).toLowerCase(Locale.ROOT);
            if (!n.equals("content-encoding") && !n.equals("content-type")) {
                replaced.add(n);
            }
        }
        List<String> merged = new ArrayList<>();
        for (int i = 0; i < old.headers().size(); i += 2) {
            if (!replaced.contains(old.headers().get(i).toLowerCase(Locale.ROOT))) {
                merged.add(old.headers().get(i));
                merged.add(old.headers().get(i + 1));
            }
        }
        for (int i = 0; i < fresh.size(); i += 2) {
            if (replaced.contains(fresh.get(i).toLowerCase(Locale.ROOT))) {
                merged.add(fresh.get(i));
                merged.add(fresh.get(i + 1));
            }
        }
        for (int i = merged.size() - 2; i >= 0; i -= 2) {
            if (merged.get(i).equalsIgnoreCase("date")) {
                merged.remove(i + 1);
                merged.remove(i);
            }
        }
        merged.add("Date");
        merged.add(dateOf(r, now));
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < merged.size(); i += 2) {
            h.add(merged.get(i), merged.get(i + 1));
        }
        long life = Math.max(0, cache.policy().lifetime(old.status(), h, RequestTarget.path(ex), now));
        return old.revalidated(merged, requestTime, now, CachePolicy.initialAge(r.headers(), requestTime, now), life);
    }

    /**
     * The Date a stored response keeps: the backend's, or when it sent none (or no valid one) the
     * time the response arrived (RFC 9110 §6.6.1).
     */
    private static String dateOf(HttpResponse r, long received) {
        String date = r.headers().get("Date");
        return date != null && HttpDate.parse(date, received) != HttpDate.INVALID ? date.strip()
                : HttpDate.format(received);
    }

    @Override
    public void decorate(ResponseHead h) {
        if (slice != null && h.status() == 200) {
            h.status(206);
            h.set("Content-Range", "bytes " + slice.first() + "-" + slice.last() + "/"
                    + (sliceTotal < 0 ? "*" : Long.toString(sliceTotal)));
        }
        h.set("X-Cache", result.name());
        if (!passThrough) {
            cache.count(result);
        }
    }

    @Override
    public void onBody(ByteBuf data) {
        bodyBytes += data.readableBytes();
        if (tee == null) {
            return;
        }
        if (answerAtEnd && ranged && !tee.fits(data.readableBytes())) {
            outgrown(data);
            return;
        }
        tee.add(data);
    }

    /**
     * A body read whole for a Range request outgrew {@code max_object_size} (its length was not
     * announced): it is not stored, and the client is answered from this same response as it
     * streams on. A single range {@code bytes=a-b} within the bytes read so far is relayed as a
     * 206 slice of unknown total length (RFC 9110 §14.4), after which the upstream connection is
     * closed; any other range (one reaching past them, a suffix, an open end, several) would
     * need the body's length or all of it, so the 200 is relayed whole (RFC 9110 §14.2).
     */
    private void outgrown(ByteBuf data) {
        ByteBuf kept = tee.contents();
        tee = null;
        answerAtEnd = false;
        finishFlight();
        Ranges.Range one = rangeWithin(bodyBytes);
        if (one != null) {
            slice = one;
            sliceTotal = -1;
        }
        ResponseHead h = ForwardHeaders.response(response, false);
        decorate(h);
        givenBack = new ExchangeHooks.Resumed(h, one == null ? -1 : one.length(),
                Unpooled.wrappedBuffer(kept, data.retainedDuplicate()));
    }

    /**
     * The client's one range when the first {@code seen} bytes of the body hold it whatever the
     * body's whole length, and its If-Range holds; otherwise null.
     */
    private Ranges.Range rangeWithin(long seen) {
        long now = cache.clock().millis();
        if (!Conditionals.ifRangeHolds(ex.headers().get("If-Range"), response.headers().get("ETag"),
                HttpDate.parse(response.headers().get("Last-Modified"), now), now)) {
            return null;
        }
        String range = ex.headers().get("Range");
        if (Ranges.parse(range, seen) instanceof Ranges.Satisfiable s && s.ranges().size() == 1
                && Ranges.parse(range, Long.MAX_VALUE) instanceof Ranges.Satisfiable any
                && any.ranges().equals(s.ranges())) {
            return s.ranges().getFirst();
        }
        return null;
    }

    @Override
    public ExchangeHooks.Resumed resumeRelay() {
        ExchangeHooks.Resumed back = givenBack;
        givenBack = null;
        return back;
    }

    @Override
    public boolean relayComplete() {
        return slice != null && relayedOffset > slice.last();
    }

    @Override
    public void onEnd() {
        BodyBuffer body = tee;
        tee = null;
        CachedResponse e = null;
        if (body != null && !body.overflowed()) {
            HttpResponse r = response;
            String encoding = r.headers().get("Content-Encoding", "").strip().toLowerCase(Locale.ROOT);
            List<String> headers = ForwardHeaders.responseHeaders(r,
                    transientBody ? NOT_RELAYED_FROM_BODY : NOT_STORED);
            headers.add("Date");
            headers.add(dateOf(r, responseTime));
            e = new CachedResponse(r.status().code(), headers, body.bytes(), requestTime, responseTime,
                    CachePolicy.initialAge(r.headers(), requestTime, responseTime), lifetime, cache.clock().millis(),
                    Variants.varyValues(r.headers().getAll("Vary"), ex.headers()),
                    encoding.equals("identity") ? "" : encoding);
            if (!transientBody) {
                cache.store(key, e);
            }
        }
        done();
        if (answerAtEnd) {
            answerAtEnd = false;
            if (e != null) {
                serve(e, CacheResult.MISS, null);
            } else {
                answerHead(response, bodyBytes);
            }
        }
    }

    @Override
    public void onAbort() {
        tee = null;
        if (givenBack != null) {
            givenBack.bodySoFar().release();
            givenBack = null;
        }
        done();
        if (answerAtEnd) {
            answerAtEnd = false;
            answerError(502, "502 Bad Gateway: the backend failed mid-response\n");
        }
    }

    private void done() {
        finishFlight();
        if (background) {
            cache.endRefresh(key);
        }
    }

    @Override
    public boolean onFail(int status, String reason) {
        done();
        if (background || passThrough) {
            return false;
        }
        if (staleIfError(cache.clock().millis())) {
            serve(stored, CacheResult.STALE, "error");
            return true;
        }
        result = CacheResult.MISS;
        return false;
    }

    // ---- answers from the cache ----------------------------------------------------------------

    /**
     * Answers from an entry, once the client connection can take it: a whole body written while
     * it cannot would pile up in memory for a client that pipelines requests and reads nothing.
     */
    private void serve(CachedResponse e, CacheResult how, String staleReason) {
        if (ex.responded()) {
            return;
        }
        ClientWritability.whenWritable(ex.context().channel(), () -> answer(e, how, staleReason));
    }

    private void answer(CachedResponse e, CacheResult how, String staleReason) {
        if (ex.responded() || !ex.context().channel().isActive()) {
            return;
        }
        result = how;
        cache.count(how);
        StoredAnswer.answer(ex, e, how, staleReason, cache.clock().millis(), ranged);
    }

    private void answerError(int status, String text) {
        result = CacheResult.MISS;
        ResponseHead h = ResponseHead.of(status).header("Content-Type", "text/plain; charset=utf-8");
        decorate(h);
        ex.respond(h, Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8)));
    }
}
