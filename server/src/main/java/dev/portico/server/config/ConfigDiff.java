package dev.portico.server.config;

import dev.portico.core.net.HostPort;
import dev.portico.lb.LbConfig;
import dev.portico.upstream.AdminState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The admin actions that turn one config into another, as PythonDirector's compareconf did: host
 * additions and removals, weight, admin state (enable, disable, drain), scheduler and group
 * changes, listeners opened and closed, services added and removed. Changes no admin action can make (a service changing type, the
 * worker count, an lb timeout) are listed as refusals instead.
 */
public final class ConfigDiff {

    /**
     * One admin action.
     *
     * @param command the action as a line of text, such as {@code add-host front main 10.0.0.3:80 weight=2}
     * @param api     the admin API call that makes it, such as {@code POST /api/v1/...}
     */
    public record Action(String command, String api) {
        @Override
        public String toString() {
            return api == null ? command : command + "    # " + api;
        }
    }

    /**
     * The outcome.
     *
     * @param actions  what to do, in an order that keeps every step valid
     * @param refusals changes that cannot be made live, each with the reason
     */
    public record Result(List<Action> actions, List<String> refusals) {
        public Result {
            actions = List.copyOf(actions);
            refusals = List.copyOf(refusals);
        }

        /** True when the two configs do the same. */
        public boolean same() {
            return actions.isEmpty() && refusals.isEmpty();
        }
    }

    private final ConfigYaml yaml = new ConfigYaml();

    /** Compares {@code from} (running) with {@code to} (wanted). */
    public Result diff(ServerConfig from, ServerConfig to) {
        List<String> refusals = new ArrayList<>();
        if (from.workers() != to.workers()) {
            refusals.add("workers " + from.workers() + " -> " + to.workers() + ": takes a restart");
        }
        if (!Objects.equals(from.transport(), to.transport())) {
            refusals.add("transport " + name(from.transport()) + " -> " + name(to.transport()) + ": takes a restart");
        }
        topLevel(refusals, "log_level", from.logLevel(), to.logLevel());
        topLevel(refusals, "access_log", from.accessLog(), to.accessLog());
        topLevel(refusals, "shutdown_grace", from.shutdownGrace(), to.shutdownGrace());
        topLevel(refusals, "admin", from.admin(), to.admin());
        topLevel(refusals, "state_dir", from.stateDir(), to.stateDir());
        if (!from.runAs().equals(to.runAs())) {
            refusals.add("user or group changed: takes a restart");
        }

        Steps steps = new Steps();
        for (Map.Entry<String, ServiceSpec> e : to.services().entrySet()) {
            ServiceSpec before = from.services().get(e.getKey());
            ServiceSpec after = e.getValue();
            if (before == null) {
                steps.services.add(new Action("add-service " + after.name() + " (type " + after.type().name() + ")", null));
            } else if (!before.type().name().equals(after.type().name())) {
                refusals.add("service " + after.name() + " changes type " + before.type().name() + " -> "
                        + after.type().name() + ": remove it and add it under a new name");
            } else if (before.config() instanceof LbConfig a && after.config() instanceof LbConfig b) {
                lb(after.name(), a, b, steps, refusals);
            } else if (!ConfigYaml.service(before).equals(ConfigYaml.service(after))) {
                refusals.add("service " + after.name() + " (" + after.type().name()
                        + ") has new settings: no admin action changes them; reload with SIGHUP");
            }
        }
        for (String name : from.services().keySet()) {
            if (!to.services().containsKey(name)) {
                steps.services.add(new Action("remove-service " + name, null));
            }
        }
        return new Result(steps.ordered(), refusals);
    }

    private void lb(String s, LbConfig a, LbConfig b, Steps steps, List<String> refusals) {
        String base = "/api/v1/services/" + s;
        for (HostPort l : b.listen()) {
            if (!a.listen().contains(l)) {
                steps.open.add(new Action("open-listener " + s + " " + l, "POST " + base + "/listeners {\"address\":\"" + l + "\"}"));
            }
        }
        for (HostPort l : a.listen()) {
            if (!b.listen().contains(l)) {
                steps.close.add(new Action("close-listener " + s + " " + l, "DELETE " + base + "/listeners/" + l));
            }
        }
        for (String g : b.groups().keySet()) {
            if (!a.groups().containsKey(g)) {
                refusals.add("service " + s + ": group " + g + " is new: no admin action adds groups; reload with SIGHUP");
            }
        }
        for (String g : a.groups().keySet()) {
            if (!b.groups().containsKey(g)) {
                refusals.add("service " + s + ": group " + g + " is gone: no admin action removes groups; reload with SIGHUP");
            }
        }
        for (Map.Entry<String, List<LbConfig.BackendSpec>> e : b.groups().entrySet()) {
            List<LbConfig.BackendSpec> old = a.groups().get(e.getKey());
            if (old != null) {
                hosts(s, e.getKey(), old, e.getValue(), steps);
            }
        }
        if (!a.scheduler().equals(b.scheduler())) {
            steps.settings.add(new Action("set-scheduler " + s + " " + b.scheduler(),
                    "POST " + base + "/scheduler {\"scheduler\":\"" + b.scheduler() + "\"}"));
        }
        if (!a.activeGroup().equals(b.activeGroup())) {
            steps.settings.add(new Action("switch-group " + s + " " + b.activeGroup(),
                    "POST " + base + "/active-group {\"group\":\"" + b.activeGroup() + "\"}"));
        }
        LbConfig comparable = a.toBuilder().listenOnly(b.listen()).groups(b.groups()).activeGroup(b.activeGroup())
                .scheduler(b.scheduler()).build();
        if (!yaml(comparable).equals(yaml(b))) {
            refusals.add("service " + s + ": health, retries, timeouts, limits, proxy_protocol or backlog changed:"
                    + " no admin action changes them; reload with SIGHUP");
        }
    }

    private static void hosts(String s, String g, List<LbConfig.BackendSpec> from, List<LbConfig.BackendSpec> to, Steps steps) {
        String base = "/api/v1/services/" + s + "/groups/" + g + "/hosts";
        Map<String, LbConfig.BackendSpec> old = byName(from);
        Map<String, LbConfig.BackendSpec> now = byName(to);
        now.forEach((name, h) -> {
            LbConfig.BackendSpec before = old.get(name);
            if (before == null) {
                steps.add.add(new Action("add-host " + s + " " + g + " " + name + " weight=" + h.weight(),
                        "POST " + base + " {\"address\":\"" + name + "\",\"weight\":" + h.weight() + "}"));
            } else if (before.weight() != h.weight()) {
                steps.settings.add(new Action("set-weight " + s + " " + g + " " + name + " " + h.weight(),
                        "POST " + base + "/" + name + "/weight {\"weight\":" + h.weight() + "}"));
            }
            AdminState was = before == null ? AdminState.ENABLED : before.state();
            if (was != h.state()) {
                String verb = switch (h.state()) {
                    case DISABLED -> "disable";
                    case DRAINING -> "drain";
                    default -> "enable";
                };
                steps.settings.add(new Action(verb + " " + s + " " + g + " " + name,
                        "POST " + base + "/" + name + "/" + verb));
            }
        });
        old.keySet().forEach(name -> {
            if (!now.containsKey(name)) {
                steps.remove.add(new Action("remove-host " + s + " " + g + " " + name, "DELETE " + base + "/" + name));
            }
        });
    }

    private Map<String, Object> yaml(LbConfig c) {
        return new dev.portico.lb.LbServiceType().toYaml(c).orElseThrow();
    }

    private static Map<String, LbConfig.BackendSpec> byName(List<LbConfig.BackendSpec> hosts) {
        Map<String, LbConfig.BackendSpec> m = new LinkedHashMap<>();
        hosts.forEach(h -> m.put(h.name(), h));
        return m;
    }

    private static void topLevel(List<String> refusals, String key, Object from, Object to) {
        if (!Objects.equals(from, to)) {
            refusals.add(key + " changed: no admin action changes it; reload with SIGHUP");
        }
    }

    private static String name(Object transport) {
        return transport == null ? "auto" : transport.toString();
    }

    /** Actions by kind, so that each step is valid when it runs. */
    private static final class Steps {
        final List<Action> services = new ArrayList<>();
        final List<Action> open = new ArrayList<>();
        final List<Action> add = new ArrayList<>();
        final List<Action> settings = new ArrayList<>();
        final List<Action> remove = new ArrayList<>();
        final List<Action> close = new ArrayList<>();

        List<Action> ordered() {
            List<Action> all = new ArrayList<>();
            all.addAll(services.stream().filter(a -> a.command().startsWith("add-")).toList());
            all.addAll(open);
            all.addAll(add);
            all.addAll(settings);
            all.addAll(remove);
            all.addAll(close);
            all.addAll(services.stream().filter(a -> a.command().startsWith("remove-")).toList());
            return all;
        }
    }
}
