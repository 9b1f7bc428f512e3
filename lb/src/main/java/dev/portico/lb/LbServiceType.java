package dev.portico.lb;

import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.Section;
import dev.portico.core.tls.TlsSettingsReader;
import dev.portico.core.lifecycle.Service;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.lifecycle.ServiceType;
import dev.portico.core.net.HostPort;
import dev.portico.upstream.AdminState;
import dev.portico.upstream.Backend;
import dev.portico.upstream.health.HealthCheckConfig;
import dev.portico.upstream.health.HealthCheckSection;
import dev.portico.upstream.scheduler.Schedulers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code type: lb} in the config file. Reads only its own section:
 *
 * <pre>
 * listen: [0.0.0.0:8000]
 * groups:
 *   main: [{address: 10.0.0.1:9001, weight: 2}, 10.0.0.2:9001]
 *   standby: [10.0.1.1:9001]
 * active_group: main                # default: the first group
 * backends: [10.0.0.1:9001]         # shorthand for a single group named main
 * scheduler: roundrobin             # any name of Schedulers.byName
 * health: {type: http, path: /health, interval: 2s, timeout: 1s, rise: 2, fall: 3}   # or "tcp", "http:/health"
 * retries: all                      # or a number of further hosts to try after a failed connect
 * timeouts: {connect: 5s, idle: 5m, client_hello: 5s}   # client_hello: with sni_routes
 * limits: {connections: 0, per_backend: 0}   # connections 0: from the descriptor limit; per_backend 0: no limit
 * proxy_protocol: off               # v1 | v2
 * backlog: 4096
 * protocol: tcp                     # or udp: sessions keyed by client address
 * udp: {session_timeout: 60s, max_sessions: 100000}   # UDP only
 * accept_proxy: [10.0.0.0/8]        # peers that must send a PROXY v1/v2 header first (TCP only)
 * splice: auto                      # on | off: relay with splice(2) on epoll (auto: past 256 KiB one way)
 * sni_routes: {"*.a.test": main, b.test: standby, default: main}   # route TLS by the ClientHello's name
 * sni_fallback: default             # or close: a connection with no valid hello in time
 * tls: {certificates: [{cert: site.pem, key: site.key}]}   # TLS offload: terminate TLS, relay plain bytes (TCP, Netty path)
 * </pre>
 */
public final class LbServiceType implements ServiceType<LbConfig> {

    /** The admin states a host may be given in the config. */
    private static final List<String> HOST_STATES = List.of("enabled", "disabled", "draining");


    @Override
    public String name() {
        return "lb";
    }

    /**
     * Reads a service's section.
     *
     * @return the config, or null when the section has problems (they are in its problem list)
     */
    @Override
    public LbConfig parse(String serviceName, Section s) {
        int before = s.problems().list().size();
        LbConfig.Builder b = LbConfig.builder();
        s.string("type", "lb");
        s.list("listen", List.of(), HostPort::parse).forEach(b::listen);
        if (!s.has("listen")) {
            s.problem("listen", "'" + s.path() + "' needs 'listen' (for example listen: [0.0.0.0:8000])");
        }
        if (s.has("backends")) {
            readGroup(s, "backends", LbConfig.DEFAULT_GROUP, s.node("backends").orElseThrow(), b);
        }
        if (s.has("groups")) {
            Section groups = s.section("groups");
            for (String group : groups.keys()) {
                readGroup(groups, group, group, groups.node(group).orElseThrow(), b);
            }
        }
        if (!s.has("groups") && !s.has("backends")) {
            s.problem("groups", "'" + s.path() + "' needs 'groups' (or 'backends') with at least one host");
        }
        String active = s.string("active_group", null);
        if (active != null) {
            b.activeGroup(active);
        }
        String scheduler = s.string("scheduler", "roundrobin");
        try {
            Schedulers.byName(scheduler);
            b.scheduler(scheduler);
        } catch (IllegalArgumentException e) {
            s.problem("scheduler", "bad '" + s.path() + ".scheduler': " + e.getMessage());
        }
        if (s.has("health")) {
            b.health(HealthCheckSection.read(s, "health", HealthCheckConfig.parse("tcp")));
        }
        b.retries(readRetries(s));
        Section timeouts = s.section("timeouts");
        b.connectTimeout(timeouts.duration("connect", Duration.ofSeconds(5)));
        b.idleTimeout(timeouts.duration("idle", Duration.ofMinutes(5)));
        Duration clientHello = timeouts.duration("client_hello", Duration.ofSeconds(5));
        if (clientHello.isZero() || clientHello.isNegative()) {
            timeouts.problem("client_hello", "'" + timeouts.path() + ".client_hello' must be more than zero");
        } else {
            b.clientHelloTimeout(clientHello);
        }
        timeouts.finish();
        Section limits = s.section("limits");
        b.maxConnections(limits.integer("connections", 0, 0, Integer.MAX_VALUE));
        b.maxPerBackend(limits.integer("per_backend", 0, 0, Integer.MAX_VALUE));
        limits.finish();
        String pp = s.string("proxy_protocol", "off");
        try {
            b.proxyProtocol(ProxyProtocol.parse(pp));
        } catch (IllegalArgumentException e) {
            s.problem("proxy_protocol", "bad '" + s.path() + ".proxy_protocol': " + e.getMessage());
        }
        b.backlog(s.integer("backlog", 4096, 1, 1 << 20));
        if (s.has("tls")) {
            b.tls(TlsSettingsReader.read(s.section("tls")));
        }
        b.splice(Splice.parse(s.oneOf("splice", Splice.AUTO.toString(), List.of("auto", "on", "off"))));
        b.protocol(LbProtocol.parse(s.oneOf("protocol", "tcp", List.of("tcp", "udp"))));
        Section udp = s.section("udp");
        Duration sessionTimeout = udp.duration("session_timeout", UdpSettings.DEFAULTS.sessionTimeout());
        int maxSessions = udp.integer("max_sessions", UdpSettings.DEFAULT_MAX_SESSIONS, 1, Integer.MAX_VALUE);
        udp.finish();
        try {
            b.udp(new UdpSettings(sessionTimeout, maxSessions));
        } catch (IllegalArgumentException e) {
            s.problem("udp", "bad '" + s.path() + ".udp': " + e.getMessage());
        }
        try {
            b.acceptProxy(TrustedProxies.parse(s.strings("accept_proxy", List.of())));
        } catch (IllegalArgumentException e) {
            s.problem("accept_proxy", "bad '" + s.path() + ".accept_proxy': " + e.getMessage());
        }
        readSniRoutes(s, b);
        s.finish();
        if (s.problems().list().size() > before) {
            return null;
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            s.problems().add(s.location(), "service '" + serviceName + "': " + e.getMessage());
            return null;
        }
    }

    private static void readGroup(Section parent, String key, String group, ConfigNode node, LbConfig.Builder b) {
        String path = parent.path() + "." + key;
        if (!(node instanceof ConfigNode.ListNode list)) {
            parent.problem(key, "'" + path + "' must be a list of hosts, not " + node.kind());
            return;
        }
        if (list.items().isEmpty()) {
            parent.problem(key, "group '" + group + "' has no hosts");
        }
        for (int i = 0; i < list.items().size(); i++) {
            ConfigNode item = list.items().get(i);
            String itemPath = path + "[" + i + "]";
            String address;
            int weight = 1;
            AdminState state = AdminState.ENABLED;
            if (item instanceof ConfigNode.ScalarNode scalar && scalar.text() != null) {
                address = scalar.text().trim();
            } else if (item instanceof ConfigNode.MapNode) {
                Section host = Section.of(item, itemPath, parent.problems());
                address = host.requiredString("address");
                weight = host.integer("weight", 1, Backend.MIN_WEIGHT, Backend.MAX_WEIGHT);
                state = AdminState.valueOf(host.oneOf("state", "enabled", HOST_STATES).toUpperCase(Locale.ROOT));
                host.finish();
                if (address == null) {
                    continue;
                }
            } else {
                parent.problems().add(item.location(), "'" + itemPath + "' must be host:port or {address: host:port, weight: N, state: S}");
                continue;
            }
            try {
                b.backend(group, new LbConfig.BackendSpec(HostPort.parse(address), weight, state));
            } catch (IllegalArgumentException e) {
                parent.problems().add(item.location(), "bad '" + itemPath + "': " + e.getMessage());
            }
        }
    }

    /** {@code sni_routes} and {@code sni_fallback}; each route's problems name its own line. */
    private static void readSniRoutes(Section s, LbConfig.Builder b) {
        java.util.Set<String> groups = b.groupNames();
        if (s.has("sni_routes")) {
            Section routes = s.section("sni_routes");
            if (routes.keys().isEmpty()) {
                s.problem("sni_routes", "'" + routes.path() + "' must map server names to groups,"
                        + " for example {\"*.a.test\": main, default: main}");
            }
            for (String pattern : routes.keys()) {
                String group = routes.string(pattern, null);
                if (group == null) {
                    continue;
                }
                try {
                    LbConfig.sniPattern(pattern);
                } catch (IllegalArgumentException e) {
                    routes.problem(pattern, "bad '" + routes.path() + "': " + e.getMessage());
                    continue;
                }
                if (!groups.contains(group)) {
                    routes.problem(pattern, "'" + routes.path() + "." + pattern + "' names group '" + group
                            + "', which is not one of " + groups);
                    continue;
                }
                b.sniRoute(pattern, group);
            }
        }
        String fallback = s.oneOf("sni_fallback", SniFallback.DEFAULT.toString(), List.of("default", "close"));
        b.sniFallback(SniFallback.parse(fallback));
        if (s.has("sni_fallback") && !s.has("sni_routes")) {
            s.problem("sni_fallback", "'" + s.path() + ".sni_fallback' applies only with 'sni_routes'");
        }
    }

    private static int readRetries(Section s) {
        String text = s.string("retries", "all").trim();
        if (text.equalsIgnoreCase("all")) {
            return LbConfig.RETRY_EVERY_HOST;
        }
        try {
            int n = Integer.parseInt(text);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        s.problem("retries", "bad '" + s.path() + ".retries': '" + text + "' is not 'all' or a number of hosts (0 or more)");
        return LbConfig.RETRY_EVERY_HOST;
    }

    /** Writes a config back as its section; settings at their default are left out. */
    @Override
    public Optional<Map<String, Object>> toYaml(LbConfig config) {
        return Optional.of(LbConfigYaml.write(config));
    }

    @Override
    public Service create(String serviceName, LbConfig config, ServiceContext context) {
        return new LbService(serviceName, config, context);
    }
}
