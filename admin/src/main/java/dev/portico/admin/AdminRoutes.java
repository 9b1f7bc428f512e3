package dev.portico.admin;

import io.netty.handler.codec.http.HttpMethod;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The admin route table: exact paths, each with handlers per method, and prefix routes that take
 * every method and path under a prefix (such as {@code /api/v1/}) and answer 404 and 405 on their
 * own. Exact routes win over prefixes, and a longer prefix over a shorter one. A {@code GET}
 * route also answers {@code HEAD}. Public routes ({@link #publicGet}, {@link #publicPrefix}) answer
 * {@code GET} and {@code HEAD} without a token: they are for pages that hold no data.
 */
public final class AdminRoutes {

    private final Map<String, Map<HttpMethod, AdminHandler>> routes = new LinkedHashMap<>();
    private final Map<String, AdminHandler> prefixes = new LinkedHashMap<>();
    private final Set<String> publicPaths = new TreeSet<>();
    private final Set<String> publicPrefixes = new TreeSet<>();

    /** Adds a route; a second handler for the same method and path is an error. */
    public AdminRoutes add(HttpMethod method, String path, AdminHandler handler) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("admin path must start with '/': " + path);
        }
        Map<HttpMethod, AdminHandler> byMethod = routes.computeIfAbsent(path, p -> new LinkedHashMap<>());
        if (byMethod.putIfAbsent(method, handler) != null) {
            throw new IllegalArgumentException("admin route " + method + " " + path + " is already taken");
        }
        return this;
    }

    public AdminRoutes get(String path, AdminHandler handler) {
        return add(HttpMethod.GET, path, handler);
    }

    public AdminRoutes post(String path, AdminHandler handler) {
        return add(HttpMethod.POST, path, handler);
    }

    /**
     * Routes every method and path that starts with {@code prefix} (which must end with '/') to
     * one handler, which answers unknown paths and methods itself.
     */
    public AdminRoutes prefix(String prefix, AdminHandler handler) {
        if (!prefix.startsWith("/") || !prefix.endsWith("/")) {
            throw new IllegalArgumentException("admin prefix must start and end with '/': " + prefix);
        }
        if (prefixes.putIfAbsent(prefix, handler) != null) {
            throw new IllegalArgumentException("admin prefix " + prefix + " is already taken");
        }
        return this;
    }

    /** A {@code GET} route that needs no token; it must serve nothing secret. */
    public AdminRoutes publicGet(String path, AdminHandler handler) {
        add(HttpMethod.GET, path, handler);
        publicPaths.add(path);
        return this;
    }

    /** A prefix route whose {@code GET}s need no token; it must serve nothing secret. */
    public AdminRoutes publicPrefix(String prefix, AdminHandler handler) {
        prefix(prefix, handler);
        publicPrefixes.add(prefix);
        return this;
    }

    /** True when a request may go without a token: a {@code GET} or {@code HEAD} on a public route. */
    public boolean isPublic(HttpMethod method, String path) {
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            return false;
        }
        if (routes.containsKey(path)) {
            return publicPaths.contains(path);
        }
        return longestPrefixName(path).map(publicPrefixes::contains).orElse(false);
    }

    /** The handler for a method and path. */
    public Optional<AdminHandler> find(HttpMethod method, String path) {
        Map<HttpMethod, AdminHandler> byMethod = routes.get(path);
        if (byMethod == null) {
            return longestPrefix(path);
        }
        HttpMethod m = HttpMethod.HEAD.equals(method) ? HttpMethod.GET : method;
        return Optional.ofNullable(byMethod.get(m));
    }

    /** The methods a path answers, for a 405's Allow header; empty for unknown paths. */
    public Set<String> methods(String path) {
        Set<String> out = new TreeSet<>();
        Map<HttpMethod, AdminHandler> byMethod = routes.get(path);
        if (byMethod != null) {
            for (HttpMethod m : byMethod.keySet()) {
                out.add(m.name());
                if (HttpMethod.GET.equals(m)) {
                    out.add("HEAD");
                }
            }
        }
        return out;
    }

    private Optional<AdminHandler> longestPrefix(String path) {
        return longestPrefixName(path).map(prefixes::get);
    }

    private Optional<String> longestPrefixName(String path) {
        String best = null;
        for (String p : prefixes.keySet()) {
            if (path.startsWith(p) && (best == null || p.length() > best.length())) {
                best = p;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The paths, in the order they were added. */
    public Set<String> paths() {
        return routes.keySet();
    }

    AdminRoutes copy() {
        AdminRoutes c = new AdminRoutes();
        routes.forEach((p, m) -> c.routes.put(p, new LinkedHashMap<>(m)));
        c.prefixes.putAll(prefixes);
        c.publicPaths.addAll(publicPaths);
        c.publicPrefixes.addAll(publicPrefixes);
        return c;
    }
}
