package dev.portico.proxy;

import dev.portico.core.config.Section;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.proxy.cache.BodyBuffer;
import dev.portico.proxy.cache.CacheConfig;
import dev.portico.proxy.cache.CacheKey;
import dev.portico.proxy.cache.CacheMeters;
import dev.portico.proxy.cache.CachePolicy;
import dev.portico.proxy.cache.CacheResult;
import dev.portico.proxy.cache.CacheStats;
import dev.portico.proxy.cache.CachedResponse;
import dev.portico.proxy.cache.DiskSecondTier;
import dev.portico.proxy.cache.HttpCache;
import dev.portico.proxy.cache.HttpDate;
import dev.portico.proxy.cache.SecondTier;
import dev.portico.proxy.cache.Variants;
import dev.portico.web.http.Exchange;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The proxy's response cache for other services that relay responses themselves (the file
 * store's router): the same {@code cache:} section, the same two tiers, freshness, validation of
 * the client's conditionals and ranges answered from stored entries. The service looks a request
 * up before it asks its backend, tees a storable response into the cache while it relays it, and
 * purges a URL its writes changed.
 *
 * <pre>
 * cache.lookup(ex, () -&gt; fetch(ex));          // answered from the cache, or fetch runs
 * ProxyCache.Fill fill = cache.fill(ex, head);  // null when the response is not stored
 * fill.body(chunk); ... fill.end();             // or fill.abort() when the relay broke off
 * cache.purge(host, uri);                       // after a PUT or DELETE of that URL
 * </pre>
 *
 * Every method but {@link #purge} and {@link #close} runs on the exchange's event loop. A stale
 * entry is not revalidated here: the request goes to the backend and a storable answer replaces it.
 */
public final class ProxyCache implements AutoCloseable {

    /** Response fields never kept in a stored entry (as the proxy's). */
    private static final Set<String> NOT_STORED = Set.of("age", "set-cookie", "x-cache", "x-cache-stale-reason");

    private final HttpCache cache;
    private final CacheMeters meters;

    private ProxyCache(HttpCache cache, CacheMeters meters) {
        this.cache = cache;
        this.meters = meters;
    }

    /**
     * Opens a cache as a proxy service would: memory tier, the disk tier when {@code dir} is set,
     * disk work on the context's blocking executor, meters {@code portico_proxy_cache_*} tagged
     * with the service.
     *
     * @throws IOException when the disk tier cannot be opened
     */
    public static ProxyCache open(String service, CacheConfig config, ServiceContext context) throws IOException {
        SecondTier disk = null;
        if (config.dir() != null) {
            try {
                disk = DiskSecondTier.open(config.dir(), config.diskSize());
            } catch (IOException e) {
                throw new IOException("cache.dir " + config.dir() + ": " + e.getMessage(), e);
            }
        }
        HttpCache[] holder = new HttpCache[1];
        CacheMeters meters = new CacheMeters(service, context.meters(), () -> holder[0]);
        holder[0] = new HttpCache(config, disk, context.clock(), context.blocking(), meters);
        return new ProxyCache(holder[0], meters);
    }

    /** Reads a {@code cache:} section with the proxy's schema; problems go to the section's list. */
    public static CacheConfig readConfig(Section cacheSection) {
        return ProxyServiceType.cacheSection(cacheSection);
    }

    /** A cache config as its section, settings at their default left out (for {@code toYaml}). */
    public static Map<String, Object> toYaml(CacheConfig config) {
        return ProxyConfigYaml.cacheSection(config);
    }

    public CacheConfig config() {
        return cache.config();
    }

    /** Entries, bytes and results of both tiers. */
    public CacheStats stats() {
        return cache.stats();
    }

    /** The cache key of a request: Host and request target, as the proxy keys them. */
    public static String key(String host, String target) {
        return CacheKey.of("http", host, target);
    }

    /**
     * Answers a GET or HEAD from a fresh stored response, or runs {@code miss} (on the exchange's
     * event loop) when there is none, the entry is stale, or the request may not be answered from
     * the cache (another method, a body, {@code no-store}, {@code no-cache}).
     */
    public void lookup(Exchange ex, Runnable miss) {
        HttpMethod m = ex.method();
        CachePolicy.RequestRules rules = CachePolicy.request(ex.headers());
        if (!(m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD)) || ex.hasBody() || rules.bypass()
                || rules.revalidate()) {
            cache.count(CacheResult.BYPASS);
            miss.run();
            return;
        }
        EventLoop loop = ex.context().channel().eventLoop();
        String key = key(ex.headers().get(HttpHeaderNames.HOST), ex.request().uri());
        cache.lookup(key, loop, variants -> {
            long now = cache.clock().millis();
            CachedResponse e = variants == null ? null : variants.select(ex.headers());
            if (e != null && CachePolicy.fresh(e, now, rules)) {
                if (ex.responded() || !ex.context().channel().isActive()) {
                    return;
                }
                cache.count(CacheResult.HIT);
                StoredAnswer.answer(ex, e, CacheResult.HIT, null, now,
                        m.equals(HttpMethod.GET) && ex.headers().contains(HttpHeaderNames.RANGE));
                return;
            }
            miss.run();
        });
    }

    /**
     * A copy of a response being relayed to {@code ex}'s client, stored when it ends: null when the
     * request or response is not storable (RFC 9111 §3 as the proxy applies it: status, directives,
     * Vary, Authorization, no freshness, larger than {@code max_object_size}, a HEAD, a Range
     * request or a partial answer). Counts the request as a miss when it returns a fill.
     */
    public Fill fill(Exchange ex, HttpResponse head) {
        int code = head.status().code();
        if (!ex.method().equals(HttpMethod.GET) || ex.headers().contains("Range") || code == 206
                || CachePolicy.request(ex.headers()).bypass()) {
            return null;
        }
        if (!cache.policy().storable(ex.headers(), code, head.headers())
                || ForwardHeaders.hidesVariedField(ex.headers(), head.headers().getAll("Vary"))) {
            return null;
        }
        long now = cache.clock().millis();
        long life = cache.policy().lifetime(code, head.headers(), RequestTarget.path(ex), now);
        boolean validator = head.headers().contains("ETag") || head.headers().contains("Last-Modified");
        long length = HttpUtil.getContentLength(head, -1L);
        long max = cache.config().maxObjectSize();
        if (!(life > 0 || life == 0 && validator) || length > max) {
            return null;
        }
        cache.count(CacheResult.MISS);
        return new Fill(ex, head, key(ex.headers().get("Host"), ex.request().uri()), life, now,
                new BodyBuffer(max, length));
    }

    /**
     * Drops a URL, every variant, from memory at once and from disk in the background; the next
     * request for it goes to the backend. Any thread.
     */
    public void purge(String host, String target) {
        cache.invalidate(key(host, target));
    }

    /** Waits for disk writes under way and closes the disk tier; removes the meters. */
    @Override
    public void close() {
        cache.close();
        meters.close();
    }

    /** A response body being copied into the cache as it is relayed. */
    public final class Fill {
        private final Exchange ex;
        private final HttpResponse head;
        private final String key;
        private final long lifetime;
        private final long responseTime;
        private final BodyBuffer body;
        private boolean done;

        private Fill(Exchange ex, HttpResponse head, String key, long lifetime, long responseTime, BodyBuffer body) {
            this.ex = ex;
            this.head = head;
            this.key = key;
            this.lifetime = lifetime;
            this.responseTime = responseTime;
            this.body = body;
        }

        /** Copies a piece of the body (its indexes do not move); past {@code max_object_size} nothing is stored. */
        public void body(ByteBuf data) {
            if (!done) {
                body.add(data);
            }
        }

        /** The body is complete: the response is stored. */
        public void end() {
            if (done) {
                return;
            }
            done = true;
            byte[] bytes = body.bytes();
            if (bytes == null) {
                return;
            }
            String encoding = head.headers().get("Content-Encoding", "").strip().toLowerCase(Locale.ROOT);
            List<String> headers = ForwardHeaders.responseHeaders(head, NOT_STORED);
            String date = head.headers().get("Date");
            headers.add("Date");
            headers.add(date != null && HttpDate.parse(date, responseTime) != HttpDate.INVALID ? date.strip()
                    : HttpDate.format(responseTime));
            cache.store(key, new CachedResponse(head.status().code(), headers, bytes, responseTime, responseTime,
                    CachePolicy.initialAge(head.headers(), responseTime, responseTime), lifetime,
                    cache.clock().millis(), Variants.varyValues(head.headers().getAll("Vary"), ex.headers()),
                    encoding.equals("identity") ? "" : encoding));
        }

        /** The relay broke off: nothing is stored. */
        public void abort() {
            done = true;
        }
    }
}
