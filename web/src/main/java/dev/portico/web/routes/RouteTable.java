package dev.portico.web.routes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Finds the route for a request: exact paths by lookup, then patterns in the order they were
 * added. A path that some route matches, but none with the request's method, yields the methods
 * that would be allowed.
 */
final class RouteTable {

    /** The outcome of a lookup. */
    sealed interface Match permits Found, WrongMethod, NoRoute {
    }

    record Found(Route route, Map<String, String> params) implements Match {
    }

    /** @param allow the Allow header value */
    record WrongMethod(String allow) implements Match {
    }

    record NoRoute() implements Match {
    }

    private final Map<List<String>, List<Route>> exact = new HashMap<>();
    private final List<Route> patterns = new ArrayList<>();

    void add(Route route) {
        if (route.pattern().isExact()) {
            exact.computeIfAbsent(route.pattern().exactSegments(), k -> new ArrayList<>()).add(route);
        } else {
            patterns.add(route);
        }
    }

    Match find(List<String> segments, String method) {
        TreeSet<String> allowed = new TreeSet<>();
        boolean any = false;
        for (Route r : exact.getOrDefault(segments, List.of())) {
            if (r.allows(method)) {
                return new Found(r, Map.of());
            }
            any |= collect(r, allowed);
        }
        for (Route r : patterns) {
            Map<String, String> params = r.pattern().match(segments);
            if (params == null) {
                continue;
            }
            if (r.allows(method)) {
                return new Found(r, Map.copyOf(params));
            }
            any |= collect(r, allowed);
        }
        if (!any) {
            return new NoRoute();
        }
        allowed.add("OPTIONS");
        return new WrongMethod(String.join(", ", allowed));
    }

    private static boolean collect(Route r, TreeSet<String> allowed) {
        allowed.addAll(r.methods());
        if (r.methods().contains("GET")) {
            allowed.add("HEAD");
        }
        return true;
    }
}
