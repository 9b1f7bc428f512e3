package dev.portico.server.config;

import dev.portico.admin.AdminRole;
import dev.portico.admin.AdminServer;
import dev.portico.acme.AcmeSettings;
import dev.portico.acme.ChallengeType;
import dev.portico.core.config.ConfigException;
import dev.portico.core.config.ConfigNode;
import dev.portico.core.config.Problems;
import dev.portico.core.config.Section;
import dev.portico.core.config.Suggest;
import dev.portico.core.config.YamlLoader;
import dev.portico.core.lifecycle.ServiceType;
import dev.portico.core.net.HostPort;
import dev.portico.core.transport.Transport;
import dev.portico.server.ServiceTypes;
import dev.portico.server.os.Privileges;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads a config file into a {@link ServerConfig}. Every section is read even after a problem,
 * so one run reports every mistake, each as {@code file:line:column: message}; unknown keys at
 * every level come with the nearest valid key as a suggestion.
 *
 * <p>Top-level keys: {@code workers}, {@code transport}, {@code log_level}, {@code admin}
 * ({@code listen}, {@code token}, {@code token_file}, {@code tokens}, {@code autosave}, or
 * {@code off}), {@code access_log},
 * {@code shutdown_grace}, {@code state_dir} (default {@code ~/.portico}), {@code user} and {@code group},
 * {@code services} (name &rarr; section with {@code type:}).
 */
public final class ServerConfigReader {

    /** Log levels accepted by {@code log_level} and {@code --log-level}. */
    public static final List<String> LOG_LEVELS = List.of("trace", "debug", "info", "warn", "error", "off");

    private static final List<String> TRANSPORTS = List.of("auto", "io_uring", "epoll", "nio");
    private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    private final ServiceTypes types;
    private final YamlLoader yaml = new YamlLoader();

    public ServerConfigReader(ServiceTypes types) {
        this.types = types;
    }

    /** Reads and checks a file. */
    public ServerConfig read(Path file) throws ConfigException {
        return read(yaml.load(file), file.toString());
    }

    /** Reads and checks YAML text; {@code label} stands for the file name in messages. */
    public ServerConfig read(String text, String label) throws ConfigException {
        return read(yaml.load(text, label), label);
    }

    /** Reads and checks a parsed tree. */
    public ServerConfig read(ConfigNode root, String source) throws ConfigException {
        Problems problems = new Problems();
        Section top = Section.of(root, "config", problems);
        int workers = top.integer("workers", ServerConfig.defaultWorkers(), 1, 4096);
        Transport.Kind transport = Transport.Kind.parse(top.oneOf("transport", "auto", TRANSPORTS));
        String logLevel = top.oneOf("log_level", "info", LOG_LEVELS);
        AdminSettings admin = admin(top);
        String accessLog = top.string("access_log", null);
        if (accessLog != null && (accessLog.isBlank() || accessLog.equalsIgnoreCase("off"))) {
            accessLog = null;
        }
        Duration grace = top.duration("shutdown_grace", ServerConfig.DEFAULT_GRACE);
        boolean handover = top.bool("listen_handover", false);
        Path stateDir = stateDir(top);
        RunAs runAs = runAs(top);
        Map<String, ServiceSpec> services = services(top);
        top.finish();
        throwDistinct(problems);
        return new ServerConfig(source, workers, transport, logLevel, admin, accessLog, grace, services, handover,
                stateDir, runAs);
    }

    /**
     * {@code state_dir}: {@code ~/} is the home directory, a relative path is read against the
     * config file's directory. An existing path that is not a directory is a problem.
     */
    private static Path stateDir(Section top) {
        String text = top.string("state_dir", null);
        if (text == null || text.isBlank()) {
            return dev.portico.core.lifecycle.ServiceContext.defaultStateDir();
        }
        String t = text.strip();
        Path p;
        if (t.equals("~") || t.startsWith("~/")) {
            p = Path.of(System.getProperty("user.home"), t.length() > 2 ? t.substring(2) : "");
        } else {
            p = Path.of(t);
            Path file = Path.of(top.location().file());
            if (!p.isAbsolute() && Files.isRegularFile(file) && file.toAbsolutePath().getParent() != null) {
                p = file.toAbsolutePath().getParent().resolve(p).normalize();
            }
        }
        if (Files.exists(p) && !Files.isDirectory(p)) {
            top.problem("state_dir", "state_dir '" + text + "' is not a directory");
        }
        return p;
    }

    /**
     * Reads one service's section: {@code type} picks the {@link ServiceType}, which reads the
     * rest; then unknown keys are reported. Returns null when the section cannot be used.
     */
    public ServiceSpec service(String name, ConfigNode node, Problems problems) {
        Section s = Section.of(node, "services." + name, problems);
        String typeName = s.requiredString("type");
        if (typeName == null) {
            return null;
        }
        Optional<ServiceType<?>> type = types.find(typeName.toLowerCase(Locale.ROOT));
        if (type.isEmpty()) {
            String hint = Suggest.nearest(typeName, types.names()).map(t -> "did you mean '" + t + "'? ").orElse("");
            s.problem("type", "unknown service type '" + typeName + "'; " + hint + "(this build knows: "
                    + (types.names().isEmpty() ? "none" : String.join(", ", types.names())) + ")");
            return null;
        }
        Object config;
        try {
            config = type.get().parse(name, s);
        } catch (RuntimeException e) {
            problems.add(s.location(), "cannot read service '" + name + "': " + e.getMessage());
            return null;
        }
        s.finish();
        return config == null ? null : new ServiceSpec(name, type.get(), config, node.location());
    }

    /**
     * Throws the problems found, each once: a service type may call {@code finish()} on its own
     * section as well, which reports the same unknown key twice.
     */
    public static void throwDistinct(Problems problems) throws ConfigException {
        List<ConfigException.Problem> distinct = problems.list().stream().distinct().toList();
        if (!distinct.isEmpty()) {
            throw new ConfigException(distinct);
        }
    }

    /**
     * {@code user} and {@code group}: both must exist in the system's user database (checked
     * where it can be, Linux with glibc), and a group needs a user.
     */
    private static RunAs runAs(Section top) {
        String user = top.string("user", null);
        String group = top.string("group", null);
        if (user != null && user.isBlank()) {
            top.problem("user", "'user' is empty: name a user, or leave the key out to keep the starting user");
            return RunAs.NONE;
        }
        if (group != null && user == null) {
            top.problem("group", "'group' needs 'user': name the user to switch to as well");
            return RunAs.NONE;
        }
        if (user != null && Privileges.supported()) {
            try {
                Privileges.lookup(user, group);
            } catch (IOException e) {
                top.problem(e.getMessage().startsWith("group") ? "group" : "user", e.getMessage());
            }
        }
        return new RunAs(user, group);
    }

    private Map<String, ServiceSpec> services(Section top) {
        Map<String, ServiceSpec> out = new LinkedHashMap<>();
        Optional<ConfigNode> node = top.node("services");
        if (node.isEmpty() || node.get() instanceof ConfigNode.ScalarNode s && s.text() == null) {
            top.problems().add(top.location(), "no services: add a 'services:' mapping with at least one service");
            return out;
        }
        Section services = top.section("services");
        if (services.keys().isEmpty() && node.get() instanceof ConfigNode.MapNode) {
            top.problems().add(node.get().location(), "'services' is empty: add at least one service");
        }
        for (String name : services.keys()) {
            ConfigNode n = services.node(name).orElseThrow();
            if (!SERVICE_NAME.matcher(name).matches()) {
                top.problems().add(services.locate(name), "service name '" + name
                        + "' must start with a letter or digit and hold only letters, digits, '_', '.' and '-'");
                continue;
            }
            ServiceSpec spec = service(name, n, top.problems());
            if (spec != null) {
                out.put(name, new ServiceSpec(name, spec.type(), spec.config(), services.locate(name)));
            }
        }
        return out;
    }

    private AdminSettings admin(Section top) {
        Optional<ConfigNode> node = top.node("admin");
        if (node.isEmpty()) {
            return AdminSettings.at(AdminServer.DEFAULT_LISTEN);
        }
        if (node.get() instanceof ConfigNode.ScalarNode s && s.text() != null) {
            String v = s.text().trim().toLowerCase(Locale.ROOT);
            if (v.equals("off") || v.equals("false") || v.equals("no")) {
                return AdminSettings.off();
            }
            top.problems().add(s.location(), "'admin' must be a mapping (listen, token, token_file, tokens, autosave, max_connections, max_body, ssh, tls) or 'off'");
            return AdminSettings.off();
        }
        Section a = top.section("admin");
        HostPort listen = hostPort(a, "listen", AdminServer.DEFAULT_LISTEN);
        List<AdminSettings.TokenSpec> tokens = new ArrayList<>();
        AdminSettings.TokenSpec main = token(a, "token", AdminRole.WRITE);
        if (main != null) {
            tokens.add(main);
        }
        Optional<ConfigNode> list = a.node("tokens");
        if (list.isPresent()) {
            if (list.get() instanceof ConfigNode.ListNode l) {
                for (int i = 0; i < l.items().size(); i++) {
                    Section t = Section.of(l.items().get(i), a.path() + ".tokens[" + i + "]", a.problems());
                    AdminRole role = AdminRole.parse(t.oneOf("role", "write", List.of("read", "write", "readonly", "full")));
                    AdminSettings.TokenSpec spec = token(t, "token", role);
                    if (spec == null) {
                        t.problems().add(t.location(), "'" + t.path() + "' needs 'token' or 'token_file'");
                    } else {
                        tokens.add(spec);
                    }
                    t.finish();
                }
            } else {
                a.problem("tokens", "'" + a.path() + ".tokens' must be a list of {token|token_file, role: read|write}");
            }
        }
        Duration autosave = null;
        String autosaveText = a.string("autosave", null);
        if (autosaveText != null && !List.of("off", "no", "false").contains(autosaveText.strip().toLowerCase(Locale.ROOT))) {
            autosave = a.duration("autosave", null);
            if (autosave != null && autosave.compareTo(Duration.ofSeconds(1)) < 0) {
                a.problem("autosave", "'" + a.path() + ".autosave' must be at least 1s");
                autosave = null;
            }
        }
        AdminSettings.Ssh ssh = ssh(a);
        AdminSettings.Limits limits = new AdminSettings.Limits(
                a.integer("max_connections", AdminServer.DEFAULT_MAX_CONNECTIONS, 1, 100_000),
                (int) Math.min(a.size("max_body", AdminServer.DEFAULT_MAX_BODY), Integer.MAX_VALUE));
        Section tlsSection = a.has("tls") ? a.section("tls") : null;
        AcmeSettings acme = tlsSection != null && tlsSection.has("acme") ? adminAcme(tlsSection.section("acme")) : null;
        dev.portico.core.tls.TlsSettings tls = tlsSection != null
                ? dev.portico.core.tls.TlsSettingsReader.read(tlsSection, tlsSection.has("acme")) : null;
        if (tls != null && tls.redirectHttp() != null) {
            a.problem("tls", "'" + a.path() + ".tls.redirect_http' is for web and proxy services; the admin "
                    + "endpoint has one listener");
        }
        a.finish();
        return new AdminSettings(true, listen, tokens, autosave, ssh, limits, tls, tls == null ? null : acme);
    }

    /**
     * {@code admin.tls.acme}: as for web and proxy, but validated through TLS-ALPN-01 only, since
     * the admin endpoint has no plain listener to answer HTTP-01 on. Without {@code challenges}
     * that is the default; {@code http-01} in the list is refused.
     */
    private static AcmeSettings adminAcme(Section s) {
        boolean http01Listed = false;
        Optional<ConfigNode> listed = s.node("challenges");
        if (listed.isPresent()) {
            List<ConfigNode> items = listed.get() instanceof ConfigNode.ListNode l ? l.items() : List.of(listed.get());
            for (ConfigNode item : items) {
                if (item instanceof ConfigNode.ScalarNode sc && sc.text() != null && isHttp01(sc.text())) {
                    http01Listed = true;
                }
            }
        }
        if (http01Listed) {
            s.problem("challenges", "'" + s.path() + ".challenges' lists http-01, but the admin endpoint has no plain "
                    + "listener to answer it on; use [tls-alpn-01] (validated on the admin listener itself)");
        }
        AcmeSettings acme = AcmeSettings.read(s);
        if (acme == null || http01Listed) {
            return null;
        }
        if (!acme.challenges().contains(ChallengeType.HTTP_01)) {
            return acme;
        }
        return new AcmeSettings(acme.email(), acme.directory(), acme.caRoots(), acme.names(),
                List.of(ChallengeType.TLS_ALPN_01), acme.renewBefore());
    }

    private static boolean isHttp01(String word) {
        try {
            return ChallengeType.parse(word) == ChallengeType.HTTP_01;
        } catch (IllegalArgumentException e) {
            return false; // AcmeSettings.read reports it
        }
    }

    /** {@code admin.ssh}: on when {@code authorized_keys} is given. */
    private AdminSettings.Ssh ssh(Section a) {
        if (!a.has("ssh")) {
            a.node("ssh");
            return null;
        }
        Section s = a.section("ssh");
        HostPort listen = hostPort(s, "listen", AdminSettings.Ssh.DEFAULT_LISTEN);
        String keys = s.requiredString("authorized_keys");
        String hostKey = s.string("host_key", null);
        s.finish();
        if (keys == null) {
            return null;
        }
        Path keysPath = Path.of(keys);
        if (!java.nio.file.Files.isRegularFile(keysPath)) {
            s.problem("authorized_keys", "authorized_keys file '" + keys + "' does not exist");
        }
        return new AdminSettings.Ssh(listen, keysPath, hostKey == null ? AdminSettings.Ssh.defaultHostKey() : Path.of(hostKey));
    }

    /** {@code token} or {@code token_file} of a section, or null when it has neither. */
    private static AdminSettings.TokenSpec token(Section s, String key, AdminRole role) {
        String token = s.string(key, null);
        String tokenFile = s.string(key + "_file", null);
        if (token != null && tokenFile != null) {
            String where = s.path().startsWith("config.") ? s.path().substring("config.".length()) : s.path();
            s.problem(key + "_file", "'" + where + "' takes '" + key + "' or '" + key + "_file', not both");
            return null;
        }
        if (token != null) {
            if (token.isBlank()) {
                s.problem(key, "'" + s.path() + "." + key + "' is empty");
                return null;
            }
            return AdminSettings.TokenSpec.inline(token.strip(), role);
        }
        if (tokenFile != null) {
            // Relative to the config file, as every other file the config names.
            Path file = Path.of(tokenFile.strip());
            Path config = Path.of(s.location().file());
            if (!file.isAbsolute() && Files.isRegularFile(config) && config.toAbsolutePath().getParent() != null) {
                file = config.toAbsolutePath().getParent().resolve(file).normalize();
            }
            if (Files.exists(file)) {
                checkToken(s, key + "_file", file);
            }
            return AdminSettings.TokenSpec.file(file, role);
        }
        return null;
    }

    /** A token file that exists must hold a token; a missing one is created on start. */
    private static void checkToken(Section a, String key, Path file) {
        try {
            if (Files.readString(file, StandardCharsets.UTF_8).strip().isEmpty()) {
                a.problem(key, "admin token file '" + file + "' is empty");
            }
        } catch (IOException | RuntimeException e) {
            a.problem(key, "cannot read admin token file '" + file + "': " + e.getMessage());
        }
    }

    /** A HOST:PORT value; problems are reported at the value. */
    public static HostPort hostPort(Section s, String key, HostPort def) {
        String text = s.string(key, null);
        if (text == null) {
            return def;
        }
        try {
            return HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            s.problem(key, "bad '" + s.path() + "." + key + "': " + e.getMessage());
            return def;
        }
    }
}
