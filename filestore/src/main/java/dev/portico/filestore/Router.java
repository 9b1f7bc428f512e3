package dev.portico.filestore;

import dev.portico.core.net.Cidr;
import dev.portico.proxy.ProxyCache;
import dev.portico.web.http.Exchange;
import io.netty.handler.codec.http.HttpMethod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Sends each request where placement says: reads to one replica with failover, writes to all
 * replicas, stage-less URLs to the stage that holds the file (or the current one for a new
 * file), and other URLs over every node of the Host's pool.
 */
final class Router {

    private static final Logger log = LoggerFactory.getLogger(Router.class);
    static final HttpMethod MKCOL = HttpMethod.valueOf("MKCOL");
    /** The Allow value of a 405. */
    static final String ALLOWED = "GET, HEAD, PUT, DELETE, MKCOL";

    private Router() {
    }

    static boolean handle(Shared shared, Exchange ex) {
        FilestoreConfig config = shared.config();
        StorePath p = StorePath.parse(ex.rawPath(), config.prefix());
        if (p.kind() == StorePath.Kind.REFUSED) {
            log.debug("{}: {} {} from {} refused: {}", shared.name(), ex.method(), ex.rawPath(), ex.remoteAddress(),
                    p.refusal());
            ex.closeAfterResponse();
            ex.respond(400, "text/plain; charset=utf-8", "400 Bad Request: " + p.refusal() + "\n");
            return true;
        }
        StorePool pool = pool(config, ex);
        if (pool == null) {
            ex.respond(404, "text/plain; charset=utf-8", "404 Not Found: no pool for host '" + ex.host() + "'\n");
            return true;
        }
        HttpMethod m = ex.method();
        boolean read = m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD);
        boolean write = m.equals(HttpMethod.PUT) || m.equals(HttpMethod.DELETE) || m.equals(MKCOL);
        if (!read && !write || write && p.kind() == StorePath.Kind.OUTSIDE) {
            refuseMethod(ex);
            return true;
        }
        if (write && !Cidr.anyContains(config.writePermit(), ex.remoteAddress().getAddress())) {
            log.info("{}: {} {} from {} refused: not in write_permit", shared.name(), m, ex.rawPath(),
                    ex.remoteAddress().getAddress().getHostAddress());
            if (ex.hasBody()) {
                ex.closeAfterResponse();
            }
            ex.respond(403, "text/plain; charset=utf-8", "403 Forbidden: writes are not permitted from this address\n");
            return true;
        }
        if (p.kind() == StorePath.Kind.BAD_STAGE
                || p.kind() == StorePath.Kind.STAGED && pool.nodes(p.stage()) == null) {
            if (ex.hasBody()) {
                ex.closeAfterResponse();
            }
            ex.respond(404, "text/plain; charset=utf-8", "404 Not Found: no such stage\n");
            return true;
        }
        if (read) {
            shared.metrics().reads.increment();
            read(shared, ex, pool, p);
        } else {
            purge(shared, ex);
            write(shared, ex, pool, p);
        }
        return true;
    }

    /** After each exchange: a write that went through purges its URLs again (a read may have stored the old file meanwhile). */
    static void completed(Shared shared, Exchange ex) {
        HttpMethod m = ex.method();
        if (shared.cache() != null && ex.status() < 400
                && (m.equals(HttpMethod.PUT) || m.equals(HttpMethod.DELETE) || m.equals(MKCOL))) {
            purge(shared, ex);
        }
    }

    /**
     * Drops the cached reads a write changes: its own URL, and for a file URL every form that reads
     * the file (stage-less and in each stage of its pool), with and without the query.
     */
    private static void purge(Shared shared, Exchange ex) {
        ProxyCache cache = shared.cache();
        if (cache == null) {
            return;
        }
        String host = ex.headers().get("Host");
        cache.purge(host, ex.request().uri());
        FilestoreConfig config = shared.config();
        StorePath p = StorePath.parse(ex.rawPath(), config.prefix());
        StorePool pool = pool(config, ex);
        if (pool == null || p.kind() != StorePath.Kind.STAGED && p.kind() != StorePath.Kind.STAGELESS) {
            return;
        }
        String query = ex.query() == null ? null : "?" + ex.query();
        List<String> forms = new ArrayList<>();
        forms.add("/" + config.prefix() + p.filePath());
        for (int stage : pool.stages().keySet()) {
            forms.add(stagedUri(config, stage, p.filePath()));
        }
        for (String uri : forms) {
            cache.purge(host, uri);
            if (query != null) {
                cache.purge(host, uri + query);
            }
        }
    }

    /**
     * The pool of the request's Host, or null. A store with a single {@code *} pool (the usual
     * one) serves every Host from it, and its requests' Host is not read.
     */
    private static StorePool pool(FilestoreConfig config, Exchange ex) {
        Map<String, StorePool> pools = config.pools();
        if (pools.size() == 1) {
            StorePool any = pools.get(FilestoreConfig.DEFAULT_POOL);
            if (any != null) {
                return any;
            }
        }
        return config.pool(ex.host());
    }

    private static void refuseMethod(Exchange ex) {
        if (ex.hasBody()) {
            ex.closeAfterResponse();
        }
        ex.error(405);
    }

    /**
     * A read: answered by the cache when it holds the URL, else by the nodes. Which nodes, and in
     * what order, is worked out only on a miss, so a hit costs no placement; a file deleted in its
     * stage (or in every stage, for a stage-less URL) is a 404 before the cache is asked.
     */
    private static void read(Shared shared, Exchange ex, StorePool pool, StorePath p) {
        boolean gone = switch (p.kind()) {
            case OUTSIDE -> false;
            case STAGED -> deleted(shared, pool, p.stage(), p.filePath());
            default -> deletedInEveryStage(shared, pool, p.filePath());
        };
        if (gone) {
            respondDeleted(ex);
            return;
        }
        ProxyCache cache = shared.cache();
        if (cache == null) {
            fromNodes(shared, ex, pool, p);
        } else {
            // a hit is answered by the cache: nothing of this exchange is left to clean up
            cache.lookup(ex, () -> fromNodes(shared, ex, pool, p));
        }
    }

    /** Sends a read to the nodes that may hold the file, in the order they are tried. */
    private static void fromNodes(Shared shared, Exchange ex, StorePool pool, StorePath p) {
        NodeContext nodes = shared.nodes();
        List<ReadExchange.Attempt> attempts = new ArrayList<>();
        String uri = ex.request().uri();
        switch (p.kind()) {
            case OUTSIDE -> {
                for (NodeState n : nodes.balancedOrder(pool.union())) {
                    attempts.add(new ReadExchange.Attempt(uri, n, -1));
                }
            }
            case STAGED -> {
                for (NodeState n : nodes.readOrder(replicas(shared.config(), pool, p.stage(), p.filePath()))) {
                    attempts.add(new ReadExchange.Attempt(uri, n, p.stage()));
                }
            }
            default -> {
                // the current stage's copies first, then older stages', newest first
                String query = ex.query() == null ? "" : "?" + ex.query();
                for (int stage : pool.newestFirst()) {
                    if (deleted(shared, pool, stage, p.filePath())) {
                        continue; // deleted in this stage: no copy a node still has is served
                    }
                    String staged = stagedUri(shared.config(), stage, p.filePath()) + query;
                    for (NodeState n : nodes.readOrder(replicas(shared.config(), pool, stage, p.filePath()))) {
                        attempts.add(new ReadExchange.Attempt(staged, n, stage));
                    }
                }
            }
        }
        if (attempts.isEmpty() && p.kind() == StorePath.Kind.STAGELESS) {
            respondDeleted(ex); // deleted in every stage since the check before the cache
            return;
        }
        new ReadExchange(ex, shared, attempts, p.kind() != StorePath.Kind.OUTSIDE).start();
    }

    /** Whether a stage-less file is deleted in every stage, so that no node's copy may be served. */
    private static boolean deletedInEveryStage(Shared shared, StorePool pool, String filePath) {
        for (int stage : pool.newestFirst()) {
            if (!deleted(shared, pool, stage, filePath)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether this router deleted the file in a stage and the tombstone is live: a replica that
     * missed the DELETE may still hold its copy until the handoff's replay removes it.
     */
    private static boolean deleted(Shared shared, StorePool pool, int stage, String filePath) {
        HandoffJournal journal = shared.handoff().journal();
        return journal.anyLive() && journal.deleted(pool.host(), stagedUri(shared.config(), stage, filePath));
    }

    private static void respondDeleted(Exchange ex) {
        ex.respond(404, "text/plain; charset=utf-8", "404 Not Found: the file was deleted\n");
    }

    private static void write(Shared shared, Exchange ex, StorePool pool, StorePath p) {
        FilestoreConfig config = shared.config();
        WriteExchange w = new WriteExchange(ex, shared);
        w.start();
        if (p.kind() == StorePath.Kind.STAGED) {
            w.begin(ex.request().uri(), nodes(shared, pool, p.stage(), p.filePath()), null, pool.host(),
                    stagedUri(config, p.stage(), p.filePath()));
            return;
        }
        String query = ex.query() == null ? "" : "?" + ex.query();
        HttpMethod m = ex.method();
        if (m.equals(MKCOL)) {
            String uri = stagedUri(config, pool.stage(), p.filePath());
            w.begin(uri + query, nodes(shared, pool, pool.stage(), p.filePath()), null, pool.host(), uri);
            return;
        }
        boolean delete = m.equals(HttpMethod.DELETE);
        List<Integer> stages = pool.newestFirst();
        if (!delete) {
            // a changed file keeps its stage: look in the older ones; a new file goes to the current one
            stages = stages.subList(1, stages.size());
        }
        new StageFinder(shared, pool, p.filePath(), stages, ex, found -> {
            if (found < 0 && delete) {
                w.refuse(404, "Not Found: no stage holds " + p.filePath());
                return;
            }
            int stage = found < 0 ? pool.stage() : found;
            String uri = stagedUri(config, stage, p.filePath());
            w.begin(uri + query, nodes(shared, pool, stage, p.filePath()), delete ? null : uri, pool.host(), uri);
        }).start();
    }

    private static List<NodeState> nodes(Shared shared, StorePool pool, int stage, String filePath) {
        List<NodeState> out = new ArrayList<>();
        for (String n : replicas(shared.config(), pool, stage, filePath)) {
            out.add(shared.nodes().node(n));
        }
        return out;
    }

    /** The nodes holding the copies of {@code filePath} in a stage of a pool, the first copy first. */
    static List<String> replicas(FilestoreConfig config, StorePool pool, int stage, String filePath) {
        List<String> stageNodes = pool.nodes(stage);
        int[] idx = Placement.locate(filePath, config.region(), stageNodes.size(), config.redundancy());
        List<String> out = new ArrayList<>(idx.length);
        for (int i : idx) {
            out.add(stageNodes.get(i));
        }
        return out;
    }

    /** {@code /<prefix>_<stage><filePath>}. */
    static String stagedUri(FilestoreConfig config, int stage, String filePath) {
        return "/" + config.prefix() + "_" + stage + filePath;
    }
}
