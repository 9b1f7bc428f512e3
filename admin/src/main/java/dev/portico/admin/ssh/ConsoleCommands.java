package dev.portico.admin.ssh;

import dev.portico.admin.AdminRole;
import dev.portico.admin.api.ControlException;
import dev.portico.admin.api.ControlPlane;
import dev.portico.admin.api.Views;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * The console's command language over the same {@link ControlPlane} as the HTTP API. One line in,
 * text out; no terminal handling here, so it is the same for an interactive shell and for
 * {@code ssh host 'show services'}.
 */
public final class ConsoleCommands {

    /** What a command line produced: its output, and whether the session should end. */
    public record Result(String output, boolean exit) {
    }

    /**
     * @param changes whether it changes the running services (or the config file), so a read-only
     *                key may not run it; the same split as the HTTP API's GET versus the other methods
     */
    private record Command(String usage, String help, boolean changes,
                           BiFunction<ConsoleCommands, List<String>, String> run) {
    }

    /** How a read-only key's attempt to change something is answered. */
    public static final String DENIED = "permission denied: read-only key; ";

    private final ControlPlane plane;
    private final Map<String, Command> commands = new TreeMap<>();

    public ConsoleCommands(ControlPlane plane) {
        this.plane = plane;
        look("help", "help [COMMAND]", "list the commands, or explain one", ConsoleCommands::help);
        look("show", "show services | show service NAME | show records SERVICE | show cache SERVICE | show fs [SERVICE]"
                        + " | show tunnel [SERVICE]",
                "services, listeners, groups and hosts with their state; a dns service's dynamic records; "
                        + "a caching proxy's tiers, counters and bans; file stores' nodes, reads and writes; "
                        + "tunnel sessions with their peers, round trips and route metrics",
                ConsoleCommands::show);
        add("enable", "enable HOST | enable SERVICE GROUP HOST", "let a host take new connections",
                (c, a) -> c.hostAction(a, ControlPlane.HostAction.ENABLE));
        add("disable", "disable HOST | disable SERVICE GROUP HOST", "stop sending new connections to a host",
                (c, a) -> c.hostAction(a, ControlPlane.HostAction.DISABLE));
        add("drain", "drain HOST | drain SERVICE GROUP HOST", "no new connections; open ones finish",
                (c, a) -> c.hostAction(a, ControlPlane.HostAction.DRAIN));
        add("weight", "weight HOST N | weight SERVICE GROUP HOST N", "change a host's weight", ConsoleCommands::weight);
        add("add-host", "add-host SERVICE GROUP ADDRESS [WEIGHT]", "add a host to a group", ConsoleCommands::addHost);
        add("remove-host", "remove-host HOST | remove-host SERVICE GROUP HOST", "remove a host (not the last of the active group)",
                ConsoleCommands::removeHost);
        add("scheduler", "scheduler SERVICE NAME", "change a service's scheduler", ConsoleCommands::scheduler);
        add("switch-group", "switch-group SERVICE GROUP", "send new connections to another group", ConsoleCommands::switchGroup);
        add("listen", "listen SERVICE HOST:PORT", "open a new listener", ConsoleCommands::listen);
        add("unlisten", "unlisten SERVICE HOST:PORT", "close a listener; open connections stay", ConsoleCommands::unlisten);
        for (ControlPlane.ForceAction action : ControlPlane.ForceAction.values()) {
            add(action.word(), action.word() + " SERVICE RECORD ADDRESS", switch (action) {
                case FORCE_UP -> "answer a dynamic record's address even while its checks fail";
                case FORCE_DOWN -> "never answer a dynamic record's address";
                case RELEASE -> "let the health checks decide on a dynamic record's address again";
            }, (c, a) -> c.force(a, action));
        }
        add("purge", "purge SERVICE URL", "drop one stored URL (every variant, every tier) from a proxy's cache",
                ConsoleCommands::purge);
        add("purge-prefix", "purge-prefix SERVICE PREFIX", "drop every stored URL starting with PREFIX at once",
                ConsoleCommands::purgePrefix);
        add("ban", "ban SERVICE PREFIX", "make URLs starting with PREFIX stored until now misses (lazily)",
                ConsoleCommands::ban);
        add("repair", "repair SERVICE", "start fs repair of a file store in the background (50 actions/s); "
                + "show fs reports its progress", ConsoleCommands::repair);
        add("reconnect", "reconnect SERVICE SESSION", "drop a tunnel session's connection so that its client dials again",
                ConsoleCommands::reconnect);
        add("save", "save", "write the running config back to its file if it differs", (c, a) -> c.save());
        look("quit", "quit", "end the session", (c, a) -> "");
        look("exit", "exit", "end the session", (c, a) -> "");
    }

    /** A command that changes something: not for read-only keys. */
    private void add(String name, String usage, String help, BiFunction<ConsoleCommands, List<String>, String> run) {
        commands.put(name, new Command(usage, help, true, run));
    }

    /** A command that only looks: any key may run it. */
    private void look(String name, String usage, String help, BiFunction<ConsoleCommands, List<String>, String> run) {
        commands.put(name, new Command(usage, help, false, run));
    }

    /** The command names, sorted. */
    public List<String> names() {
        return List.copyOf(commands.keySet());
    }

    /** Runs one line with every permission. Errors become output, never exceptions. */
    public Result run(String line) {
        return run(line, AdminRole.WRITE);
    }

    /**
     * Runs one line as {@code role} may: a {@link AdminRole#READ read} key gets
     * {@code permission denied: read-only key} for a command that changes anything. Errors become
     * output, never exceptions.
     */
    public Result run(String line, AdminRole role) {
        List<String> words = words(line);
        if (words.isEmpty()) {
            return new Result("", false);
        }
        String name = words.get(0).toLowerCase(Locale.ROOT);
        Command c = commands.get(name);
        if (c == null) {
            return new Result("unknown command '" + words.get(0) + "'; type help\n", false);
        }
        if (name.equals("quit") || name.equals("exit")) {
            return new Result("bye\n", true);
        }
        if (c.changes() && role != AdminRole.WRITE) {
            return new Result(DENIED + name + " changes the running services\n", false);
        }
        try {
            String out = c.run().apply(this, words.subList(1, words.size()));
            return new Result(out.isEmpty() || out.endsWith("\n") ? out : out + "\n", false);
        } catch (UsageException e) {
            return new Result("usage: " + c.usage() + "\n", false);
        } catch (ControlException e) {
            return new Result("error: " + e.getMessage() + "\n", false);
        } catch (RuntimeException e) {
            return new Result("error: " + e + "\n", false);
        }
    }

    /** Words a line splits into; double quotes group words. */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (char ch : line.toCharArray()) {
            if (ch == '"') {
                quoted = !quoted;
                any = true;
            } else if (Character.isWhitespace(ch) && !quoted) {
                if (any) {
                    out.add(w.toString());
                    w.setLength(0);
                    any = false;
                }
            } else {
                w.append(ch);
                any = true;
            }
        }
        if (any) {
            out.add(w.toString());
        }
        return out;
    }

    /**
     * Completions for the word being typed at the end of {@code line}: command names first, then
     * service, group and host names as the command's arguments expect.
     */
    public List<String> complete(String line) {
        List<String> words = words(line);
        boolean fresh = line.isEmpty() || Character.isWhitespace(line.charAt(line.length() - 1));
        String prefix = fresh || words.isEmpty() ? "" : words.get(words.size() - 1);
        int index = fresh ? words.size() : words.size() - 1;
        List<String> candidates;
        if (index == 0) {
            candidates = names();
        } else {
            candidates = argumentCandidates(words.get(0).toLowerCase(Locale.ROOT), index, words);
        }
        return candidates.stream().filter(c -> c.startsWith(prefix)).distinct().sorted().toList();
    }

    private List<String> argumentCandidates(String command, int index, List<String> words) {
        List<Views.Service> services;
        try {
            services = plane.services();
        } catch (RuntimeException e) {
            return List.of();
        }
        List<String> serviceNames = services.stream().map(Views.Service::name).toList();
        List<String> hosts = services.stream().flatMap(s -> s.groups().stream())
                .flatMap(g -> g.hosts().stream()).map(Views.Host::name).toList();
        return switch (command) {
            case "show" -> index == 1 ? List.of("services", "service", "records", "cache", "fs", "tunnel")
                    : index == 2 && words.get(1).equals("cache") ? proxies(services)
                    : index == 2 && words.get(1).equals("tunnel") ? tunnels(services)
                    : index == 2 && words.get(1).equals("fs") ? fileStores(services)
                    : index == 2 && words.get(1).equals("records") ? dnsServices(services)
                    : index == 2 ? serviceNames : List.of();
            case "repair" -> index == 1 ? fileStores(services) : List.of();
            case "purge", "purge-prefix", "ban" -> index == 1 ? proxies(services)
                    : index == 2 ? List.of("http://") : List.of();
            case "force-up", "force-down", "release" -> index == 1 ? dnsServices(services)
                    : index == 2 ? recordsOf(words.get(1)) : index == 3 ? addressesOf(words.get(1), words.get(2))
                    : List.of();
            case "enable", "disable", "drain", "remove-host", "weight" -> index == 1
                    ? concat(hosts, serviceNames) : index == 2 ? groupsOf(services, words.get(1))
                    : index == 3 ? hostsOf(services, words.get(1), words.get(2)) : List.of();
            case "add-host" -> index == 1 ? serviceNames : index == 2 ? groupsOf(services, words.get(1)) : List.of();
            case "switch-group" -> index == 1 ? serviceNames : index == 2 ? groupsOf(services, words.get(1)) : List.of();
            case "scheduler", "listen", "unlisten" -> index == 1 ? serviceNames
                    : index == 2 && command.equals("unlisten") ? listenersOf(services, words.get(1)) : List.of();
            case "reconnect" -> index == 1 ? tunnels(services) : index == 2 ? sessionsOf(words.get(1)) : List.of();
            case "help" -> index == 1 ? names() : List.of();
            default -> List.of();
        };
    }

    private static List<String> dnsServices(List<Views.Service> services) {
        return services.stream().filter(s -> s.type().equals("dns")).map(Views.Service::name).toList();
    }

    private static List<String> fileStores(List<Views.Service> services) {
        return services.stream().filter(s -> s.type().equals("filestore")).map(Views.Service::name).toList();
    }

    private static List<String> tunnels(List<Views.Service> services) {
        return services.stream().filter(s -> s.type().equals("tunnel")).map(Views.Service::name).toList();
    }

    private List<String> sessionsOf(String service) {
        try {
            return plane.tunnel(service).sessions().stream().map(Views.TunnelSession::name).toList();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    private static List<String> proxies(List<Views.Service> services) {
        return services.stream().filter(s -> s.type().equals("proxy")).map(Views.Service::name).toList();
    }

    private List<String> recordsOf(String service) {
        try {
            return plane.records(service).stream().map(Views.DnsRecord::name).toList();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    private List<String> addressesOf(String service, String record) {
        try {
            return plane.records(service).stream().filter(r -> r.name().equals(record))
                    .flatMap(r -> r.addresses().stream()).map(Views.RecordAddress::address).toList();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static List<String> groupsOf(List<Views.Service> services, String service) {
        return services.stream().filter(s -> s.name().equals(service)).flatMap(s -> s.groups().stream())
                .map(Views.Group::name).toList();
    }

    private static List<String> hostsOf(List<Views.Service> services, String service, String group) {
        return services.stream().filter(s -> s.name().equals(service)).flatMap(s -> s.groups().stream())
                .filter(g -> g.name().equals(group)).flatMap(g -> g.hosts().stream()).map(Views.Host::name).toList();
    }

    private static List<String> listenersOf(List<Views.Service> services, String service) {
        return services.stream().filter(s -> s.name().equals(service)).flatMap(s -> s.listeners().stream()).toList();
    }

    // ---- the commands --------------------------------------------------------------------------

    private String help(List<String> args) {
        if (!args.isEmpty()) {
            Command c = commands.get(args.get(0).toLowerCase(Locale.ROOT));
            if (c == null) {
                return "unknown command '" + args.get(0) + "'";
            }
            return c.usage() + "\n  " + c.help();
        }
        StringBuilder sb = new StringBuilder("commands (TAB completes):\n");
        commands.forEach((name, c) -> sb.append(String.format("  %-44s %s%n", c.usage(), c.help())));
        return sb.toString();
    }

    private String show(List<String> args) {
        if (args.isEmpty() || args.get(0).equals("services")) {
            List<Views.Service> all = plane.services();
            if (all.isEmpty()) {
                return "no services";
            }
            StringBuilder sb = new StringBuilder();
            for (Views.Service s : all) {
                sb.append(render(s));
            }
            return sb.toString();
        }
        if (args.get(0).equals("service") && args.size() == 2) {
            return render(plane.service(args.get(1)));
        }
        if (args.get(0).equals("records") && args.size() == 2) {
            List<Views.DnsRecord> records = plane.records(args.get(1));
            if (records.isEmpty()) {
                return args.get(1) + " has no dynamic records";
            }
            StringBuilder sb = new StringBuilder();
            records.forEach(r -> sb.append(render(r)));
            return sb.toString();
        }
        if (args.get(0).equals("cache") && args.size() == 2) {
            return render(plane.cache(args.get(1)));
        }
        if (args.get(0).equals("fs") && args.size() <= 2) {
            if (args.size() == 2) {
                return render(plane.filestore(args.get(1)));
            }
            List<String> stores = fileStores(plane.services());
            if (stores.isEmpty()) {
                return "no file store services";
            }
            StringBuilder sb = new StringBuilder();
            stores.forEach(name -> sb.append(render(plane.filestore(name))));
            return sb.toString();
        }
        if (args.get(0).equals("tunnel") && args.size() <= 2) {
            if (args.size() == 2) {
                return render(plane.tunnel(args.get(1)));
            }
            List<String> names = tunnels(plane.services());
            if (names.isEmpty()) {
                return "no tunnel services";
            }
            StringBuilder sb = new StringBuilder();
            names.forEach(name -> sb.append(render(plane.tunnel(name))));
            return sb.toString();
        }
        throw new UsageException();
    }

    private static String render(Views.Tunnel t) {
        StringBuilder sb = new StringBuilder();
        sb.append(t.service()).append(" (tunnel)\n");
        for (Views.TunnelSession s : t.sessions()) {
            sb.append(String.format(Locale.ROOT, "    %-15s %-4s %-6s %-8s %-22s %-9s cwnd=%s lost=%s in=%s (%s/s) out=%s (%s/s)"
                            + " connects=%d%n",
                    s.name(), s.state(), s.side(), s.transport(), s.peer() == null ? "-" : s.peer(),
                    s.rttMs() == null ? "-" : String.format(Locale.ROOT, "%.1fms", s.rttMs()),
                    s.cwndBytes() == null ? "-" : bytes(s.cwndBytes().longValue()),
                    s.lostPackets() == null ? "-" : Long.toString(s.lostPackets().longValue()), bytes(s.bytesIn()),
                    bytes((long) s.inRate()), bytes(s.bytesOut()), bytes((long) s.outRate()), s.connects()));
            if (s.device() != null || s.relayTo() != null) {
                sb.append("        ").append(s.device() != null ? "device " + s.device() : "relayed to " + s.relayTo());
                s.routeMetrics().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey()).forEach(e ->
                        sb.append("  ").append(e.getKey()).append(" metric ").append(e.getValue())
                                .append(s.bestRoutes().contains(e.getKey()) ? " (best)" : ""));
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    private String reconnect(List<String> args) {
        need(args, 2);
        Views.Reconnected r = plane.reconnect(args.get(0), args.get(1));
        return r.service() + ": session " + r.session() + " reconnects";
    }

    private static String render(Views.Filestore f) {
        StringBuilder sb = new StringBuilder();
        sb.append(f.service()).append(" (filestore)\n");
        sb.append(String.format(Locale.ROOT, "  reads %d (%.1f/s)  writes %d (%.1f/s)  degraded %d  failed %d"
                + "  missing copies found %d%n", f.reads(), f.readRate(), f.writes(), f.writeRate(), f.writesDegraded(),
                f.writesFailed(), f.missingCopies()));
        for (Views.FsNode n : f.nodes()) {
            sb.append(String.format(Locale.ROOT, "    %-22s %-7s %-9s open=%d total=%d failed=%d in=%s out=%s%s%n",
                    n.name(), n.health(), n.latencyMs() == null ? "-" : String.format(Locale.ROOT, "%.1fms", n.latencyMs()),
                    n.open(), n.total(), n.failed(), bytes(n.bytesIn()), bytes(n.bytesOut()),
                    n.lastFailure() == null ? "" : "  last failure: " + n.lastFailure().reason()));
        }
        if (f.handoff() != null) {
            sb.append(String.format(Locale.ROOT, "  handoff journal %d records, %d replays pending%s%n",
                    f.handoff().journal(), f.handoff().pending(),
                    f.handoff().problem() == null ? "" : "  cannot be written: " + f.handoff().problem()));
        }
        Views.FsCheck c = f.lastCheck();
        if (c == null) {
            sb.append("  last check: none\n");
        } else {
            StringBuilder counts = new StringBuilder();
            c.counts().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> counts.append(", ").append(e.getValue()).append(' ').append(e.getKey()));
            sb.append(String.format(Locale.ROOT, "  last check %s: %d nodes, %d files, %d copies, %s%n", c.finished(),
                    c.nodes(), c.files(), c.copies(), c.clean() ? "clean" : "problems" + counts.substring(1)));
        }
        Views.FsRepair r = f.repair();
        if (r == null) {
            sb.append("  repair: none\n");
        } else if (r.started() == null) {
            sb.append("  repair running: checking the nodes\n");
        } else {
            sb.append(String.format(Locale.ROOT, "  repair %s: %d/%d findings dealt with, %d repaired, %d skipped,"
                            + " %d failed (started %s)%n", r.running() ? "running" : r.finished() ? "finished" : "stopped",
                    r.done(), r.total(), r.repaired(), r.skipped(), r.failed(), r.started()));
        }
        return sb.toString();
    }

    private static String render(Views.Cache c) {
        StringBuilder sb = new StringBuilder();
        sb.append(c.service()).append(" cache\n");
        sb.append("  memory  ").append(tier(c.memory())).append('\n');
        sb.append("  disk    ").append(c.disk() == null ? "none" : tier(c.disk())).append('\n');
        sb.append(String.format("  hits %d  misses %d  stale %d  revalidated %d  bypass %d%n", c.hits(), c.misses(),
                c.stale(), c.revalidated(), c.bypass()));
        long lookups = c.hits() + c.misses() + c.stale() + c.revalidated();
        if (lookups > 0) {
            sb.append(String.format(Locale.ROOT, "  hit ratio %.1f%% (hits, stale and revalidated of all lookups)%n",
                    100.0 * (c.hits() + c.stale() + c.revalidated()) / lookups));
        }
        if (c.bans().isEmpty()) {
            sb.append("  no bans\n");
        } else {
            c.bans().forEach(b -> sb.append("  ban ").append(b).append('\n'));
        }
        return sb.toString();
    }

    private static String tier(Views.CacheTier t) {
        return t.entries() + " entries, " + bytes(t.bytes()) + " of " + bytes(t.limit());
    }

    private static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String units = "KMGT";
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length() - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %siB", v, units.charAt(u));
    }

    private static String render(Views.DnsRecord r) {
        StringBuilder sb = new StringBuilder();
        sb.append(r.name()).append("  ttl ").append(r.ttlMax()).append('/').append(r.ttlMin());
        if (r.fallbackOf() != null) {
            sb.append("  fallback level ").append(r.level()).append(" of ").append(r.fallbackOf());
        }
        sb.append("  check ").append(r.check());
        if (!r.lastResort().isEmpty()) {
            sb.append("  last resort ").append(String.join(", ", r.lastResort()));
        }
        sb.append('\n');
        for (Views.RecordAddress a : r.addresses()) {
            sb.append(String.format("    %-16s %-7s %-11s w=%-3d %s%s%n", a.address(), a.health(),
                    a.forced() == null ? "checks" : "forced-" + a.forced(), a.weight(),
                    a.answered() ? "answered" : "not answered",
                    a.healthReason() == null ? "" : "  " + a.healthReason()
                            + (a.healthSince() == null ? "" : " (since " + a.healthSince() + ")")));
        }
        return sb.toString();
    }

    private static String render(Views.Service s) {
        StringBuilder sb = new StringBuilder();
        sb.append(s.name()).append(" (").append(s.type()).append(")");
        if (!s.listeners().isEmpty()) {
            sb.append(" listening on ").append(String.join(", ", s.listeners()));
        }
        if (s.scheduler() != null) {
            sb.append(", scheduler ").append(s.scheduler());
        }
        if (s.connections() != null) {
            sb.append(", ").append(s.connections()).append(" open");
        }
        sb.append('\n');
        for (Views.Group g : s.groups()) {
            sb.append(balancing(s) ? "  group " : "  pool ").append(g.name())
                    .append(balancing(s) && g.active() ? " (active)" : "").append('\n');
            for (Views.Host h : g.hosts()) {
                sb.append(String.format("    %-22s %-4s %-9s w=%-3d open=%d total=%d failed=%d%s in=%d out=%d%s%n",
                        h.name(), h.health(), h.admin(), h.weight(), h.open(), h.total(), h.failed(),
                        h.retries() == 0 ? "" : " retries=" + h.retries(), h.bytesIn(),
                        h.bytesOut(), h.lastFailure() == null ? "" : "  last failure: " + h.lastFailure().reason()));
            }
        }
        return sb.toString();
    }

    /** Whether the service balances over groups (an lb service, with a scheduler), not a proxy's pools. */
    private static boolean balancing(Views.Service s) {
        return s.scheduler() != null;
    }

    /** A host named by one word (found across services) or by service, group (or pool) and host. */
    private record HostRef(String service, String group, String host) {
    }

    private HostRef host(List<String> args, int extra) {
        if (args.size() == 1 + extra) {
            String name = args.get(0);
            List<HostRef> found = new ArrayList<>();
            for (Views.Service s : plane.services()) {
                for (Views.Group g : s.groups()) {
                    for (Views.Host h : g.hosts()) {
                        if (h.name().equals(name) || h.address().equals(name)) {
                            found.add(new HostRef(s.name(), g.name(), h.name()));
                        }
                    }
                }
            }
            if (found.isEmpty()) {
                throw ControlException.notFound("no host " + name);
            }
            if (found.size() > 1) {
                throw ControlException.badRequest("host " + name + " is in several places; name it as SERVICE GROUP HOST: "
                        + found.stream().map(r -> r.service() + " " + r.group() + " " + r.host()).toList());
            }
            return found.get(0);
        }
        if (args.size() == 3 + extra) {
            return new HostRef(args.get(0), args.get(1), args.get(2));
        }
        throw new UsageException();
    }

    private String hostAction(List<String> args, ControlPlane.HostAction action) {
        HostRef r = host(args, 0);
        Views.Host h = plane.hostState(r.service(), r.group(), r.host(), action);
        return r.service() + " " + r.group() + " " + h.name() + ": " + h.admin() + ", " + h.health();
    }

    private String weight(List<String> args) {
        HostRef r = host(args, 1);
        int w = number(args.get(args.size() - 1));
        Views.Host h = plane.weight(r.service(), r.group(), r.host(), w);
        return r.service() + " " + r.group() + " " + h.name() + ": weight " + h.weight();
    }

    private String addHost(List<String> args) {
        if (args.size() != 3 && args.size() != 4) {
            throw new UsageException();
        }
        int w = args.size() == 4 ? number(args.get(3)) : 1;
        Views.Host h = plane.addHost(args.get(0), args.get(1), args.get(2), w);
        return "added " + h.name() + " to " + args.get(0) + " " + args.get(1);
    }

    private String removeHost(List<String> args) {
        HostRef r = host(args, 0);
        plane.removeHost(r.service(), r.group(), r.host());
        return "removed " + r.host() + " from " + r.service() + " " + r.group();
    }

    private String scheduler(List<String> args) {
        need(args, 2);
        return "scheduler of " + args.get(0) + " is now " + plane.scheduler(args.get(0), args.get(1)).scheduler();
    }

    private String switchGroup(List<String> args) {
        need(args, 2);
        return "active group of " + args.get(0) + " is now " + plane.switchGroup(args.get(0), args.get(1)).activeGroup();
    }

    private String listen(List<String> args) {
        need(args, 2);
        return args.get(0) + " now listens on " + plane.openListener(args.get(0), args.get(1));
    }

    private String unlisten(List<String> args) {
        need(args, 2);
        plane.closeListener(args.get(0), args.get(1));
        return args.get(0) + " closed " + args.get(1);
    }

    private String force(List<String> args, ControlPlane.ForceAction action) {
        need(args, 3);
        Views.RecordAddress a = plane.forceAddress(args.get(0), args.get(1), args.get(2), action);
        return args.get(0) + " " + args.get(1) + " " + a.address() + ": "
                + (a.forced() == null ? "checks decide" : "forced " + a.forced()) + ", health " + a.health() + ", "
                + (a.answered() ? "answered" : "not answered");
    }

    private String purge(List<String> args) {
        need(args, 2);
        Views.Purged p = plane.purge(args.get(0), args.get(1), null);
        return p.removed() == 0 ? args.get(1) + " was not stored in " + args.get(0)
                : "purged " + args.get(1) + " from " + args.get(0);
    }

    private String purgePrefix(List<String> args) {
        need(args, 2);
        Views.Purged p = plane.purge(args.get(0), null, args.get(1));
        return "purged " + p.removed() + " URL" + (p.removed() == 1 ? "" : "s") + " starting with " + args.get(1)
                + " from " + args.get(0);
    }

    private String repair(List<String> args) {
        need(args, 1);
        plane.repair(args.get(0));
        return "repair of " + args.get(0) + " started; show fs " + args.get(0) + " reports its progress";
    }

    private String ban(List<String> args) {
        need(args, 2);
        Views.Banned b = plane.ban(args.get(0), args.get(1), null);
        return args.get(0) + ": banned " + b.ban() + " (stored before " + b.created() + ")";
    }

    private String save() {
        Views.Saved s = plane.save();
        return s.written() ? "saved " + s.file() + (s.backup() != null ? " (previous kept as " + s.backup() + ")" : "")
                : s.file() + " already holds the running config";
    }

    private static void need(List<String> args, int n) {
        if (args.size() != n) {
            throw new UsageException();
        }
    }

    private static int number(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw ControlException.badRequest("'" + s + "' is not a whole number");
        }
    }

    /** Thrown when the words do not fit the command's usage. */
    private static final class UsageException extends RuntimeException {
        UsageException() {
            super(null, null, false, false);
        }
    }

    @Override
    public String toString() {
        return "ConsoleCommands" + Arrays.toString(commands.keySet().toArray());
    }
}
