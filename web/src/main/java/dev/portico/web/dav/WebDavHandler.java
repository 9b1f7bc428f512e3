package dev.portico.web.dav;

import dev.portico.web.WebConfig;
import dev.portico.web.files.MimeTypes;
import dev.portico.web.files.PathResolver;
import dev.portico.web.files.Site;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.RequestHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * WebDAV class 1 writes over the document root (RFC 4918): PUT, DELETE, MKCOL, PROPFIND and
 * OPTIONS, for clients in the writer ranges and, when users are configured, with Basic auth.
 * GET and HEAD pass on to static serving. Every path goes through {@link PathResolver}: nothing
 * outside the root is reached, links are never written through, and the names of upload
 * temporaries are reserved. File system work runs on the blocking executor; PUT bodies are
 * written as they arrive and committed by an atomic rename (see {@link PutUpload}).
 */
public final class WebDavHandler implements RequestHandler {

    /** The Allow header value of a server with WebDAV on. */
    public static final String ALLOW = "OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, PROPFIND";

    private static final Logger log = LoggerFactory.getLogger(WebDavHandler.class);
    private static final Set<String> METHODS = Set.of("OPTIONS", "PUT", "DELETE", "MKCOL", "PROPFIND");

    private final WriteAccess access;
    private final Site defaultSite;
    private final Map<String, Site> hosts;
    private final Executor blocking;
    private final Consumer<Path> changed;
    private final Propfind propfind;

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

    private void put(Exchange ex, DavPath target) throws IOException {
        int refusal = target.isRoot() || target.isDirectory() ? 405
                : target.parentMissing() ? 409
                : target.isLink() ? 403
                : ex.headers().contains("Content-Range") ? 400
                : 0;
        if (refusal != 0) {
            if (ex.hasBody()) {
                ex.closeAfterResponse();
            }
            ex.error(refusal);
            return;
        }
        ex.receiveBody(PutUpload.open(ex, target.file(), blocking, changed));
    }

    private void delete(Exchange ex, DavPath target) {
        if (target.isRoot()) {
            ex.error(403);
            return;
        }
        String depth = ex.headers().get("Depth");
        Offload.run(ex, blocking, () -> {
            if (!target.exists()) {
                return x -> x.error(404);
            }
            if (target.isDirectory() && depth != null && !depth.trim().equalsIgnoreCase("infinity")) {
                return x -> x.error(400);
            }
            TreeDeleter.delete(target.file());
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
        if (target.isRoot() || target.exists()) {
            ex.error(405);
            return;
        }
        if (target.parentMissing()) {
            ex.error(409);
            return;
        }
        Offload.run(ex, blocking, () -> {
            Files.createDirectory(target.file());
            changed.accept(target.file());
            return DavReplies::created;
        });
    }
}
