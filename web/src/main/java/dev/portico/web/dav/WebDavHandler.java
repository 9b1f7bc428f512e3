package dev.portico.web.dav;

import dev.portico.core.fs.LinuxFs;
import dev.portico.web.WebConfig;
import dev.portico.web.files.MimeTypes;
import dev.portico.web.files.PathResolver;
import dev.portico.web.files.Site;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.RequestHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * WebDAV class 1 writes over the document root (RFC 4918): PUT, DELETE, MKCOL, PROPFIND and
 * OPTIONS, for clients in the writer ranges and, when users are configured, with Basic auth.
 * GET and HEAD pass on to static serving. Request paths are decoded by {@link PathResolver};
 * writes then open the target's collection with {@link Beneath}, from a descriptor of the root
 * and never through a link, and create, rename and delete relative to that descriptor, so
 * nothing outside the root is reached even while someone swaps directories for links. The names
 * of upload temporaries are reserved. File system work runs on the blocking executor; PUT bodies
 * are written as they arrive and committed by an atomic rename (see {@link PutUpload}).
 *
 * <p>Linux only: without the *at() calls ({@link LinuxFs#available()}) the handler refuses to
 * start with a message saying so.
 */
public final class WebDavHandler implements RequestHandler {

    /** The Allow header value of a server with WebDAV on. */
    public static final String ALLOW = "OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, PROPFIND";

    private static final Logger log = LoggerFactory.getLogger(WebDavHandler.class);
    /** New collections: everything the umask allows, as mkdir(1). */
    private static final int DIRECTORY_MODE = 0777;
    private static final Set<String> METHODS = Set.of("OPTIONS", "PUT", "DELETE", "MKCOL", "PROPFIND");

    private final WriteAccess access;
    private final Site defaultSite;
    private final Map<String, Site> hosts;
    private final Executor blocking;
    private final Consumer<Path> changed;
    private final Propfind propfind;
    private final Beneath beneath;

    /**
     * @param config      who may write
     * @param defaultSite the root used when no virtual host matches
     * @param hosts       Host (lower case, no port) → site, as for static serving
     * @param blocking    where file system work runs
     * @param changed     told of every path written or deleted (cache invalidation)
     * @param mime        content types for PROPFIND
     */
    public WebDavHandler(WebConfig.WebDav config, Site defaultSite, Map<String, Site> hosts, Executor blocking,
                         Consumer<Path> changed, MimeTypes mime) {
        this.access = new WriteAccess(config);
        this.defaultSite = defaultSite;
        this.hosts = Map.copyOf(hosts);
        this.blocking = blocking;
        this.changed = changed;
        this.propfind = new Propfind(blocking, mime);
        this.beneath = Beneath.forThisSystem();
    }

    @Override
    public boolean handle(Exchange ex) throws IOException {
        String method = ex.method().name();
        if (!METHODS.contains(method)) {
            return false;
        }
        if (!access.admit(ex)) {
            return true;
        }
        if (ex.request().uri().indexOf('#') >= 0) {
            // RFC 9112 §3.2: a request-target has no fragment; acting on a guess is unsafe for writes
            if (ex.hasBody()) {
                ex.closeAfterResponse();
            }
            ex.error(400);
            return true;
        }
        Path root = (hosts.isEmpty() ? defaultSite : hosts.getOrDefault(ex.host(), defaultSite)).realRoot();
        if (method.equals("OPTIONS")) {
            DavReplies.options(ex);
            return true;
        }
        if (method.equals("PROPFIND")) {
            propfind.handle(ex, root);
            return true;
        }
        DavPath target;
        try {
            target = DavPath.of(root, ex.rawPath());
        } catch (PathResolver.Refused r) {
            log.debug("WebDAV {} {} refused: {}", method, ex.rawPath(), r.getMessage());
            if (ex.hasBody()) {
                ex.closeAfterResponse();
            }
            ex.error(r.status());
            return true;
        }
        switch (method) {
            case "PUT" -> put(ex, target);
            case "DELETE" -> delete(ex, target);
            default -> mkcol(ex, target);
        }
        return true;
    }

    private void put(Exchange ex, DavPath target) {
        if (target.isRoot()) {
            refuse(ex, 405);
            return;
        }
        if (ex.headers().contains("Content-Range")) {
            refuse(ex, 400);
            return;
        }
        // opened here on the event loop, as the body starts arriving; the upload takes them over
        Arena arena = Arena.ofShared();
        LinuxFs.Scratch s = new LinuxFs.Scratch(arena);
        int dir = -1;
        try {
            dir = beneath.open(s, target.realRoot(), target.parent());
            int refusal = 0;
            if (LinuxFs.statx(s, dir, LinuxFs.bytes(target.name()), LinuxFs.AT_SYMLINK_NOFOLLOW) == 0) {
                refusal = s.type() == LinuxFs.S_IFDIR ? 405 : s.type() == LinuxFs.S_IFLNK ? 403 : 0;
            } else if (s.errno() != LinuxFs.ENOENT) {
                throw LinuxFs.error(s, "look at " + target.name());
            }
            if (refusal == 403) {
                log.info("WebDAV PUT {} refused: the target is a symbolic link; writes never go through links", ex.rawPath());
            }
            if (refusal == 0) {
                PutUpload upload = PutUpload.open(ex, target, arena, s, dir, blocking, changed);
                dir = -1;
                arena = null;
                ex.receiveBody(upload);
                return;
            }
            refuse(ex, refusal);
        } catch (PathResolver.Refused | LinuxFs.Failure e) {
            if (ex.hasBody()) {
                ex.closeAfterResponse();
            }
            Offload.failure(ex, e).accept(ex);
        } finally {
            if (dir >= 0) {
                LinuxFs.close(s, dir);
            }
            if (arena != null) {
                arena.close();
            }
        }
    }

    private static void refuse(Exchange ex, int status) {
        if (ex.hasBody()) {
            ex.closeAfterResponse();
        }
        ex.error(status);
    }

    private void delete(Exchange ex, DavPath target) {
        if (target.isRoot()) {
            ex.error(403);
            return;
        }
        String depth = ex.headers().get("Depth");
        boolean infinite = depth == null || depth.trim().equalsIgnoreCase("infinity");
        Offload.run(ex, blocking, () -> {
            try (Arena arena = Arena.ofConfined()) {
                LinuxFs.Scratch s = new LinuxFs.Scratch(arena);
                int dir = beneath.open(s, target.realRoot(), target.parent());
                try {
                    byte[] name = LinuxFs.bytes(target.name());
                    if (LinuxFs.statx(s, dir, name, LinuxFs.AT_SYMLINK_NOFOLLOW) < 0) {
                        if (s.errno() == LinuxFs.ENOENT) {
                            return x -> x.error(404);
                        }
                        throw LinuxFs.error(s, "look at " + target.name());
                    }
                    if (s.type() == LinuxFs.S_IFDIR && !infinite) {
                        return x -> x.error(400);
                    }
                    if (!TreeDeleter.delete(s, dir, name)) {
                        return x -> x.error(404);
                    }
                } finally {
                    LinuxFs.close(s, dir);
                }
            }
            changed.accept(target.file());
            return DavReplies::noContent;
        });
    }

    private void mkcol(Exchange ex, DavPath target) {
        if (ex.hasBody()) {
            ex.closeAfterResponse();
            ex.error(415);
            return;
        }
        if (target.isRoot()) {
            ex.error(405);
            return;
        }
        Offload.run(ex, blocking, () -> {
            try (Arena arena = Arena.ofConfined()) {
                LinuxFs.Scratch s = new LinuxFs.Scratch(arena);
                int dir = beneath.open(s, target.realRoot(), target.parent());
                try {
                    if (LinuxFs.mkdirat(s, dir, LinuxFs.bytes(target.name()), DIRECTORY_MODE) < 0) {
                        throw LinuxFs.error(s, "create collection " + target.name());
                    }
                } finally {
                    LinuxFs.close(s, dir);
                }
            }
            changed.accept(target.file());
            return DavReplies::created;
        });
    }
}
