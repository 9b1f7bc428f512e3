package dev.portico.server.config;

import dev.portico.admin.AdminRole;
import dev.portico.admin.AdminServer;
import dev.portico.core.config.Durations;
import dev.portico.core.config.Sizes;
import dev.portico.core.config.YamlWriter;
import dev.portico.core.lifecycle.ServiceType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a whole {@link ServerConfig} as the YAML that {@link ServerConfigReader} reads back to
 * an equal config: the top-level keys that differ from their defaults, then each service through
 * its type's {@link ServiceType#toYaml}. Comments of the original file are not kept.
 */
public final class ConfigYaml {

    private final YamlWriter writer = new YamlWriter();

    /** The config as YAML text. */
    public String write(ServerConfig config) {
        return writer.write(tree(config));
    }

    /** A tree from {@link #tree} (perhaps edited) as YAML text. */
    public String write(Map<String, Object> tree) {
        return writer.write(tree);
    }

    /**
     * The config as a tree of maps and lists.
     *
     * @throws IllegalStateException when a service's type cannot write its config
     */
    public Map<String, Object> tree(ServerConfig config) {
        Map<String, Object> top = new LinkedHashMap<>();
        if (config.workers() != ServerConfig.defaultWorkers()) {
            top.put("workers", config.workers());
        }
        if (config.transport() != null) {
            top.put("transport", config.transport().toString());
        }
        if (!config.logLevel().equals("info")) {
            top.put("log_level", config.logLevel());
        }
        Object admin = admin(config.admin());
        if (admin != null) {
            top.put("admin", admin);
        }
        if (config.accessLog() != null) {
            top.put("access_log", config.accessLog());
        }
        if (!config.shutdownGrace().equals(ServerConfig.DEFAULT_GRACE)) {
            top.put("shutdown_grace", Durations.format(config.shutdownGrace()));
        }
        if (config.listenHandover()) {
            top.put("listen_handover", true);
        }
        if (!config.stateDir().equals(dev.portico.core.lifecycle.ServiceContext.defaultStateDir())) {
            top.put("state_dir", config.stateDir().toString());
        }
        if (config.runAs().enabled()) {
            top.put("user", config.runAs().user());
            if (config.runAs().group() != null) {
                top.put("group", config.runAs().group());
            }
        }
        Map<String, Object> services = new LinkedHashMap<>();
        config.services().forEach((name, spec) -> services.put(name, service(spec)));
        top.put("services", services);
        return top;
    }

    /** One service's section. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> service(ServiceSpec spec) {
        return ((ServiceType<Object>) spec.type()).toYaml(spec.config()).orElseThrow(() -> new IllegalStateException(
                "service '" + spec.name() + "': type " + spec.type().name() + " cannot write its config"));
    }

    private static Object admin(AdminSettings a) {
        if (!a.enabled()) {
            return "off";
        }
        Map<String, Object> m = new LinkedHashMap<>();
        if (!a.listen().equals(AdminServer.DEFAULT_LISTEN)) {
            m.put("listen", a.listen().toString());
        }
        List<AdminSettings.TokenSpec> tokens = a.tokens();
        if (tokens.size() == 1 && tokens.getFirst().role() == AdminRole.WRITE) {
            putToken(m, tokens.getFirst());
        } else if (!tokens.isEmpty()) {
            List<Object> list = new ArrayList<>();
            for (AdminSettings.TokenSpec t : tokens) {
                Map<String, Object> entry = new LinkedHashMap<>();
                putToken(entry, t);
                entry.put("role", t.role().toString());
                list.add(entry);
            }
            m.put("tokens", list);
        }
        if (a.autosave() != null) {
            m.put("autosave", Durations.format(a.autosave()));
        }
        if (a.limits().maxConnections() != AdminServer.DEFAULT_MAX_CONNECTIONS) {
            m.put("max_connections", a.limits().maxConnections());
        }
        if (a.limits().maxBody() != AdminServer.DEFAULT_MAX_BODY) {
            m.put("max_body", Sizes.format(a.limits().maxBody()));
        }
        if (a.ssh() != null) {
            Map<String, Object> ssh = new LinkedHashMap<>();
            if (!a.ssh().listen().equals(AdminSettings.Ssh.DEFAULT_LISTEN)) {
                ssh.put("listen", a.ssh().listen().toString());
            }
            ssh.put("authorized_keys", a.ssh().authorizedKeys().toString());
            if (!a.ssh().hostKey().equals(AdminSettings.Ssh.defaultHostKey())) {
                ssh.put("host_key", a.ssh().hostKey().toString());
            }
            m.put("ssh", ssh);
        }
        if (a.tls() != null) {
            Map<String, Object> tls = dev.portico.core.tls.TlsSettingsReader.write(a.tls());
            if (a.acme() != null) {
                tls.put("acme", a.acme().toYaml());
            }
            m.put("tls", tls);
        }
        return m.isEmpty() ? null : m;
    }

    private static void putToken(Map<String, Object> m, AdminSettings.TokenSpec t) {
        if (t.token() != null) {
            m.put("token", t.token());
        } else {
            m.put("token_file", t.file().toString());
        }
    }
}
