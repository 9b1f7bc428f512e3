package dev.portico.admin.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.portico.admin.AdminHandler;
import dev.portico.admin.AdminRequest;
import dev.portico.admin.AdminResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The JSON admin API under {@value #PREFIX}, over a {@link ControlPlane}. Mount it with
 * {@code AdminServer.builder(metrics).prefix(AdminApi.PREFIX, new AdminApi(plane))}. The routes
 * are described in {@code docs/admin-api.md}. Bodies are JSON objects; each field may also be
 * given as a query parameter. Errors are {@code {"error": message, "status": code}}.
 */
public final class AdminApi implements AdminHandler {

    /** Where the API lives on the admin listener. */
    public static final String PREFIX = "/api/v1/";

    private final ControlPlane plane;
    /**
     * Made at the first API request: building a mapper loads several hundred of Jackson's classes,
     * which a daemon that is never asked for JSON does not need at start (docs/decisions.md).
     */
    private ObjectMapper json;
    private final List<Route> routes = new ArrayList<>();

    /** The API over {@code plane}. */
    public AdminApi(ControlPlane plane) {
        this.plane = Objects.requireNonNull(plane, "plane");
        get("services", (p, r) -> ok(Map.of("services", plane.services())));
        get("services/{service}", (p, r) -> ok(plane.service(p.get("service"))));
        get("services/{service}/history", (p, r) -> ok(plane.history(p.get("service"))));
        post("services/{service}/scheduler", (p, r) -> ok(plane.scheduler(p.get("service"), text(r, "scheduler"))));
        post("services/{service}/active-group", (p, r) -> ok(plane.switchGroup(p.get("service"), text(r, "group"))));
        post("services/{service}/listeners", (p, r) -> created(Map.of("listening",
                plane.openListener(p.get("service"), text(r, "address")))));
        delete("services/{service}/listeners/{address}", (p, r) -> {
            plane.closeListener(p.get("service"), p.get("address"));
            return ok(Map.of("closed", p.get("address")));
        });
        get("services/{service}/groups/{group}/hosts/{host}", (p, r) -> ok(host(p)));
        post("services/{service}/groups/{group}/hosts", (p, r) -> created(plane.addHost(p.get("service"),
                p.get("group"), text(r, "address"), integer(r, "weight", 1))));
        delete("services/{service}/groups/{group}/hosts/{host}", (p, r) -> {
            plane.removeHost(p.get("service"), p.get("group"), p.get("host"));
            return ok(Map.of("removed", p.get("host")));
        });
        post("services/{service}/groups/{group}/hosts/{host}/weight", (p, r) -> ok(plane.weight(p.get("service"),
                p.get("group"), p.get("host"), integer(r, "weight", null))));
        for (ControlPlane.HostAction action : ControlPlane.HostAction.values()) {
            post("services/{service}/groups/{group}/hosts/{host}/" + action.name().toLowerCase(java.util.Locale.ROOT),
                    (p, r) -> ok(plane.hostState(p.get("service"), p.get("group"), p.get("host"), action)));
        }
        get("services/{service}/records", (p, r) -> ok(Map.of("records", plane.records(p.get("service")))));
        get("services/{service}/records/{record}", (p, r) -> ok(record(p)));
        get("services/{service}/records/{record}/addresses/{address}", (p, r) -> ok(recordAddress(p)));
        for (ControlPlane.ForceAction action : ControlPlane.ForceAction.values()) {
            post("services/{service}/records/{record}/addresses/{address}/" + action.word(),
                    (p, r) -> ok(plane.forceAddress(p.get("service"), p.get("record"), p.get("address"), action)));
        }
        post("save", (p, r) -> ok(plane.save()));
        get("tls", (p, r) -> ok(Map.of("certificates", plane.certificates())));
        post("tls/{name}/renew", (p, r) -> AdminResponse.json(HttpResponseStatus.ACCEPTED,
                write(Map.of("renewing", plane.renewCertificate(p.get("name"))))));
        get("services/{service}/cache", (p, r) -> ok(plane.cache(p.get("service"))));
        get("services/{service}/fs", (p, r) -> ok(plane.filestore(p.get("service"))));
        post("services/{service}/fs/repair", (p, r) -> AdminResponse.json(HttpResponseStatus.ACCEPTED,
                write(plane.repair(p.get("service")))));
        get("services/{service}/tunnel", (p, r) -> ok(plane.tunnel(p.get("service"))));
        post("services/{service}/tunnel/{session}/reconnect",
                (p, r) -> ok(plane.reconnect(p.get("service"), p.get("session"))));
        post("services/{service}/cache/purge", (p, r) -> {
            String[] one = oneOf(r, "key", "prefix");
            return ok(plane.purge(p.get("service"), one[0], one[1]));
        });
        post("services/{service}/cache/ban", (p, r) -> {
            String[] one = oneOf(r, "prefix", "regex");
            return ok(plane.ban(p.get("service"), one[0], one[1]));
        });
    }

    @Override
    public AdminResponse handle(AdminRequest request) {
        String rest = request.path().substring(Math.min(PREFIX.length(), request.path().length()));
        List<String> segments = segments(rest);
        Set<String> allowed = new TreeSet<>();
        for (Route route : routes) {
            Map<String, String> params = route.match(segments);
            if (params == null) {
                continue;
            }
            if (!route.method().equals(request.method())) {
                allowed.add(route.method().name());
                if (route.method().equals(HttpMethod.GET)) {
                    allowed.add("HEAD");
                }
                continue;
            }
            try {
                return route.action().run(params, request);
            } catch (ControlException e) {
                return AdminResponse.error(HttpResponseStatus.valueOf(e.kind().status()), e.getMessage());
            } catch (IllegalArgumentException e) {
                return AdminResponse.error(HttpResponseStatus.BAD_REQUEST, e.getMessage());
            } catch (IllegalStateException e) {
                return AdminResponse.error(HttpResponseStatus.CONFLICT, e.getMessage());
            }
        }
        if (!allowed.isEmpty()) {
            return AdminResponse.error(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    request.method() + " is not allowed on " + request.path()).withHeader("Allow", String.join(", ", allowed));
        }
        return AdminResponse.error(HttpResponseStatus.NOT_FOUND, "no API route for " + request.path()
                + " (see docs/admin-api.md)");
    }

    private Views.Host host(Map<String, String> p) {
        String name = p.get("host");
        return plane.service(p.get("service")).groups().stream()
                .filter(g -> g.name().equals(p.get("group")))
                .findFirst()
                .orElseThrow(() -> ControlException.notFound("service " + p.get("service") + " has no group "
                        + p.get("group")))
                .hosts().stream().filter(h -> h.name().equals(name)).findFirst()
                .orElseThrow(() -> ControlException.notFound("group " + p.get("group") + " has no host " + name));
    }

    private Views.DnsRecord record(Map<String, String> p) {
        String name = recordName(p.get("record"));
        return plane.records(p.get("service")).stream().filter(x -> x.name().equals(name)).findFirst()
                .orElseThrow(() -> ControlException.notFound("service " + p.get("service") + " has no dynamic record "
                        + name));
    }

    private Views.RecordAddress recordAddress(Map<String, String> p) {
        Views.DnsRecord record = record(p);
        return record.addresses().stream().filter(a -> a.address().equals(p.get("address"))).findFirst()
                .orElseThrow(() -> ControlException.notFound("dynamic record " + record.name() + " has no address "
                        + p.get("address")));
    }

    /** A record name as the views spell it: lower case, no trailing dot. */
    private static String recordName(String s) {
        String n = s.toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    private static List<String> segments(String rest) {
        List<String> out = new ArrayList<>();
        for (String s : rest.split("/")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    /** A string field of the JSON body, or the query parameter of that name; 400 when missing. */
    private String text(AdminRequest r, String field) {
        JsonNode v = body(r).get(field);
        String s = v != null && !v.isNull() ? v.asText() : r.param(field, null);
        if (s == null || s.isBlank()) {
            throw ControlException.badRequest("missing '" + field + "' (a JSON body such as {\"" + field + "\": ...})");
        }
        return s.strip();
    }

    /** Exactly one of two string fields: the values in order, the absent one null; 400 otherwise. */
    private String[] oneOf(AdminRequest r, String first, String second) {
        String a = optional(r, first);
        String b = optional(r, second);
        if ((a == null) == (b == null)) {
            throw ControlException.badRequest("give exactly one of '" + first + "' and '" + second
                    + "' (a JSON body such as {\"" + first + "\": ...})");
        }
        return new String[] {a, b};
    }

    private String optional(AdminRequest r, String field) {
        JsonNode v = body(r).get(field);
        String s = v != null && !v.isNull() ? v.asText() : r.param(field, null);
        return s == null || s.isBlank() ? null : s.strip();
    }

    /** An integer field of the JSON body or query; {@code def} when missing (400 when def is null). */
    private int integer(AdminRequest r, String field, Integer def) {
        JsonNode v = body(r).get(field);
        String s = v != null && !v.isNull() ? v.asText() : r.param(field, null);
        if (s == null || s.isBlank()) {
            if (def == null) {
                throw ControlException.badRequest("missing '" + field + "' (a JSON body such as {\"" + field + "\": 2})");
            }
            return def;
        }
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw ControlException.badRequest("'" + field + "' must be a whole number, not '" + s + "'");
        }
    }

    private JsonNode body(AdminRequest r) {
        if (r.body().length == 0) {
            return json().createObjectNode();
        }
        try {
            JsonNode n = json().readTree(r.body());
            if (n == null || !n.isObject()) {
                throw ControlException.badRequest("the request body must be a JSON object");
            }
            return n;
        } catch (java.io.IOException e) {
            throw ControlException.badRequest("the request body is not JSON: " + firstLine(e.getMessage()));
        }
    }

    private AdminResponse ok(Object value) {
        return AdminResponse.json(HttpResponseStatus.OK, write(value));
    }

    private AdminResponse created(Object value) {
        return AdminResponse.json(HttpResponseStatus.CREATED, write(value));
    }

    private String write(Object value) {
        try {
            return json().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    private synchronized ObjectMapper json() {
        if (json == null) {
            json = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
        }
        return json;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private void get(String pattern, Action action) {
        routes.add(new Route(HttpMethod.GET, segments(pattern), action));
    }

    private void post(String pattern, Action action) {
        routes.add(new Route(HttpMethod.POST, segments(pattern), action));
    }

    private void delete(String pattern, Action action) {
        routes.add(new Route(HttpMethod.DELETE, segments(pattern), action));
    }

    @FunctionalInterface
    private interface Action {
        AdminResponse run(Map<String, String> params, AdminRequest request);
    }

    /** One route: a method and a path pattern whose {@code {name}} segments match any one segment. */
    private record Route(HttpMethod method, List<String> pattern, Action action) {

        Map<String, String> match(List<String> segments) {
            if (segments.size() != pattern.size()) {
                return null;
            }
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 0; i < pattern.size(); i++) {
                String p = pattern.get(i);
                if (p.startsWith("{")) {
                    params.put(p.substring(1, p.length() - 1), segments.get(i));
                } else if (!p.equals(segments.get(i))) {
                    return null;
                }
            }
            return params;
        }
    }
}
