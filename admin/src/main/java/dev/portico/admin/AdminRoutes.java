package dev.portico.admin;

import io.netty.handler.codec.http.HttpMethod;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The admin route table: exact paths, each with handlers per method. A {@code GET} route also
 * answers {@code HEAD}.
 */
public final class AdminRoutes {

    private final Map<String, Map<HttpMethod, AdminHandler>> routes = new LinkedHashMap<>();

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

    /** The handler for a method and path. */
    public Optional<AdminHandler> find(HttpMethod method, String path) {
        Map<HttpMethod, AdminHandler> byMethod = routes.get(path);
        if (byMethod == null) {
            return Optional.empty();
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

    /** The paths, in the order they were added. */
    public Set<String> paths() {
        return routes.keySet();
    }

    AdminRoutes copy() {
        AdminRoutes c = new AdminRoutes();
        routes.forEach((p, m) -> c.routes.put(p, new LinkedHashMap<>(m)));
        return c;
    }
}
