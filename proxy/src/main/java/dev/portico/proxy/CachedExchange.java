package dev.portico.proxy;

import dev.portico.proxy.cache.BodyBuffer;
import dev.portico.proxy.cache.CacheKey;
import dev.portico.proxy.cache.CachePolicy;
import dev.portico.proxy.cache.CacheResult;
import dev.portico.proxy.cache.CachedResponse;
import dev.portico.proxy.cache.HttpCache;
import dev.portico.proxy.cache.HttpDate;
import dev.portico.proxy.cache.Variants;
import dev.portico.web.http.Exchange;
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
 */
final class CachedExchange implements ExchangeHooks {

    private static final Logger log = LoggerFactory.getLogger(CachedExchange.class);
    /** Response fields never kept in a stored entry. */
    private static final Set<String> NOT_STORED = Set.of("age", "set-cookie", "x-cache", "x-cache-stale-reason");
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

    private CachedExchange(Exchange ex, ProxyShared shared, boolean background) {
        this.ex = ex;
        this.shared = shared;
        this.cache = shared.cache();
        this.loop = ex.context().channel().eventLoop();
        this.background = background;
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
        if (!readable || ex.hasBody() || ex.headers().contains("Range") || ForwardHeaders.isWebSocket(ex.headers())
                || rules.bypass()) {
            passThrough = true;
            result = CacheResult.BYPASS;
            cache.count(CacheResult.BYPASS);
            new ProxyExchange(ex, shared, this, false).start();
            return;
        }
        cache.lookup(key, loop, this::found);
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
        if (coalesce && !ex.isHead()) {
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
        if (!(ex.method().equals(HttpMethod.GET) || e.hasValidator()) || !cache.beginRefresh(key)) {
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
        // The cache asks for a complete response (it answers the client's own conditionals itself).
        out.remove("If-None-Match");
        out.remove("If-Modified-Since");
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
        if (ex.method().equals(HttpMethod.GET) && cache.policy().storable(ex.headers(), code, r.headers())) {
            long life = cache.policy().lifetime(r.headers(), ex.rawPath(), now);
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
        return false;
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
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < merged.size(); i += 2) {
            h.add(merged.get(i), merged.get(i + 1));
        }
        String date = r.headers().get("Date");
        if (date != null) {
            h.set("Date", date);
        }
        long life = Math.max(0, cache.policy().lifetime(h, ex.rawPath(), now));
        return old.revalidated(merged, requestTime, now, CachePolicy.initialAge(r.headers(), requestTime, now), life);
    }

    @Override
    public void decorate(ResponseHead h) {
        h.set("X-Cache", result.name());
        if (!passThrough) {
            cache.count(result);
        }
    }

    @Override
    public void onBody(ByteBuf data) {
        if (tee != null) {
            tee.add(data);
        }
    }

    @Override
    public void onEnd() {
        BodyBuffer body = tee;
        tee = null;
        if (body != null && !body.overflowed()) {
            HttpResponse r = response;
            String encoding = r.headers().get("Content-Encoding", "").strip().toLowerCase(Locale.ROOT);
            CachedResponse e = new CachedResponse(r.status().code(), ForwardHeaders.responseHeaders(r, NOT_STORED),
                    body.bytes(), requestTime, responseTime,
                    CachePolicy.initialAge(r.headers(), requestTime, responseTime), lifetime, cache.clock().millis(),
                    Variants.varyValues(r.headers().getAll("Vary"), ex.headers()),
                    encoding.equals("identity") ? "" : encoding);
            cache.store(key, e);
        }
        done();
    }

    @Override
    public void onAbort() {
        tee = null;
        done();
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

    private void serve(CachedResponse e, CacheResult how, String staleReason) {
        if (ex.responded()) {
            return;
        }
        result = how;
        cache.count(how);
        long now = cache.clock().millis();
        StringBuilder extra = new StringBuilder(64).append("Age: ").append(e.age(now) / 1000).append("\r\nX-Cache: ")
                .append(how.name()).append("\r\n");
        if (staleReason != null) {
            extra.append("X-Cache-Stale-Reason: ").append(staleReason).append("\r\n");
        }
        byte[] lines = extra.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (e.status() == 200 && notModified(e)) {
            ex.respondPrerendered(304, e.notModifiedLines(), lines, NO_BODY, 0, 0);
            return;
        }
        ex.respondPrerendered(e.status(), e.headerLines(), lines, e.body(), 0, e.body().length);
    }

    /** True when the client's own conditional request is satisfied by the entry (RFC 9110 §13.2.2). */
    private boolean notModified(CachedResponse e) {
        String inm = ex.headers().get("If-None-Match");
        if (inm != null) {
            String etag = e.etag();
            if (etag == null) {
                return false;
            }
            String mine = weak(etag);
            for (String tag : inm.split(",")) {
                String t = tag.strip();
                if (t.equals("*") || weak(t).equals(mine)) {
                    return true;
                }
            }
            return false;
        }
        String ims = ex.headers().get("If-Modified-Since");
        String lm = e.lastModified();
        if (ims != null && lm != null) {
            long since = HttpDate.parse(ims);
            long modified = HttpDate.parse(lm);
            return since != HttpDate.INVALID && modified != HttpDate.INVALID && modified <= since;
        }
        return false;
    }

    private static String weak(String etag) {
        return etag.startsWith("W/") ? etag.substring(2) : etag;
    }

    private void answerError(int status, String text) {
        result = CacheResult.MISS;
        ResponseHead h = ResponseHead.of(status).header("Content-Type", "text/plain; charset=utf-8");
        decorate(h);
        ex.respond(h, Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8)));
    }
}
