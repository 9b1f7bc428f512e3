package dev.portico.server;

import dev.portico.admin.AdminRole;
import dev.portico.admin.AdminServer;
import dev.portico.admin.ssh.SshConsole;
import dev.portico.admin.api.AdminApi;
import dev.portico.admin.api.ControlException;
import dev.portico.admin.api.Views;
import dev.portico.admin.ui.Dashboard;
import dev.portico.lb.LbService;
import dev.portico.web.WebServer;
import dev.portico.server.cmd.CheckCommand;
import dev.portico.server.config.ConfigSaver;
import dev.portico.server.config.ServerConfigReader;
import dev.portico.server.config.ServiceSpec;
import dev.portico.server.control.AdminTokens;
import dev.portico.server.control.DaemonControlPlane;
import dev.portico.server.control.ServiceHistory;
import dev.portico.core.config.ConfigException;
import dev.portico.core.config.Durations;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.transport.ListenSpec;
import dev.portico.web.AcmeSlot;
import dev.portico.web.ManagedCertificates;
import dev.portico.core.limits.ConnectionCap;
import dev.portico.core.limits.DescriptorBudget;
import dev.portico.core.limits.DescriptorWatch;
import dev.portico.core.limits.FileLimit;
import dev.portico.core.metrics.Metrics;
import dev.portico.core.net.HostPort;
import dev.portico.core.transport.ListenAddresses;
import dev.portico.core.transport.Transport;
import dev.portico.server.config.AdminSettings;
import dev.portico.server.config.RunAs;
import dev.portico.server.config.ServerConfig;
import dev.portico.server.os.Privileges;
import dev.portico.server.os.SdNotify;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One running Portico process: the transport and its event loops, the metrics registry, the
 * services under a {@link Supervisor}, and the admin endpoint. {@link #run} adds the signal
 * handling: SIGHUP reloads from the {@link ConfigSource}, SIGUSR1 reopens the access log, SIGTERM
 * and SIGINT stop within {@code shutdown_grace}. Under systemd ({@code NOTIFY_SOCKET}) it reports
 * readiness, reloads and the stop through {@link SdNotify}; with {@code user} set it switches to
 * that user once every listener is bound ({@link Privileges}).
 */
public final class Daemon {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    /** Where a reload reads the config from. */
    public interface ConfigSource {

        /** Reads the config again. */
        ServerConfig load() throws ConfigException;

        /** What to name in messages, such as the file name. */
        String describe();

        /** The config file, where the admin {@code save} writes; null when there is none (quick starts). */
        default Path file() {
            return null;
        }

        /** False when there is nothing to re-read (quick starts), so SIGHUP does nothing. */
        default boolean reloadable() {
            return true;
        }

        /** A source that always gives the same config (quick starts have no file to re-read). */
        static ConfigSource fixed(ServerConfig config) {
            return new ConfigSource() {
                @Override
                public ServerConfig load() {
                    return config;
                }

                @Override
                public String describe() {
                    return config.source();
                }

                @Override
                public boolean reloadable() {
                    return false;
                }
            };
        }
    }

    private final ConfigSource source;
    private final Logging logging;
    private final PrintStream out;
    private final String logLevelOverride;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final ExecutorService reloader = Executors.newSingleThreadExecutor(named("portico-reload", true));
    /** The signal handlers while they are installed ({@link #handleSignals()}), else null. */
    private volatile Signals signals;
    private final SdNotify notify = SdNotify.fromEnvironment(System.getenv());

    private volatile boolean stopping;
    private boolean handoverFlag;
    private boolean moveAdmin;
    private ServerConfig config;
    private Transport transport;
    private EventLoopGroup workers;
    private ExecutorService blocking;
    private Metrics metrics;
    private Supervisor supervisor;
    /** What the services run with; the admin endpoint's ACME certificates use it too. */
    private ServiceContext serviceContext;
    private volatile AdminServer admin;
    /** The admin endpoint's {@code tls.acme} certificates, kept across reloads with the same settings. */
    private AcmeSlot adminAcme;
    private SshConsole ssh;
    private List<AdminTokens.Resolved> adminTokens = List.of();
    private ScheduledFuture<?> autosave;
    private ScheduledFuture<?> descriptorWatch;
    private FileLimit fileLimit = FileLimit.unknown();
    private ServiceHistory history;
    private ScheduledFuture<?> sampling;
    private final ConfigSaver saver;

    /**
     * @param logLevelOverride a level from the command line that wins over {@code log_level}, or null
     */
    public Daemon(ConfigSource source, Logging logging, PrintStream out, String logLevelOverride) {
        this(source, logging, out, logLevelOverride, null);
    }

    /**
     * @param logLevelOverride a level from the command line that wins over {@code log_level}, or null
     * @param reader           reads the config file again when saving, to compare; null when there is no file
     */
    public Daemon(ConfigSource source, Logging logging, PrintStream out, String logLevelOverride,
                  ServerConfigReader reader) {
        this.saver = reader == null ? null : new ConfigSaver(reader, Clock.systemDefaultZone());
        this.source = Objects.requireNonNull(source, "source");
        this.logging = Objects.requireNonNull(logging, "logging");
        this.out = Objects.requireNonNull(out, "out");
        this.logLevelOverride = logLevelOverride;
    }

    /**
     * Lets listeners share addresses with another process whatever {@code listen_handover} says
     * ({@code serve --listen-handover}), without writing it into the config.
     */
    public synchronized void allowListenHandover() {
        handoverFlag = true;
    }

    /**
     * Lets the admin endpoint move to a free port when its address is in use by another process
     * (a quick start whose admin address is the default: a second one on the same machine).
     */
    public synchronized void moveAdminWhenTaken() {
        moveAdmin = true;
    }

    /**
     * Starts everything for {@code initial} and prints the banner. On failure whatever was
     * started is stopped again before the exception leaves.
     */
    public synchronized void start(ServerConfig initial) throws Exception {
        config = initial;
        logging.level(logLevelOverride != null ? logLevelOverride : initial.logLevel());
        // With a user to switch to, the access log is opened as that user, so that it owns a file it makes.
        logging.accessLog(initial.runAs().enabled() ? null : initial.accessLog());
        transport = Transport.select(initial.transport());
        if (initial.transport() != null && transport.kind() != initial.transport()) {
            log.warn("transport {} is not available here; using {}", initial.transport(), transport.describe());
        }
        transport.listening().handover(handoverFlag || initial.listenHandover());
        workers = transport.newGroup(initial.workers(), "portico-worker");
        blocking = Executors.newFixedThreadPool(Math.max(4, 2 * initial.workers()), named("portico-blocking", true));
        // The JVM's meters are bound once the services listen (below): not on the way to the first accept.
        metrics = Metrics.withoutJvm();
        fileLimit = raiseFileLimit();
        AdminSettings adminSettings = initial.admin();
        DescriptorBudget budget = DescriptorBudget.of(fileLimit,
                adminSettings.enabled() ? adminSettings.limits().maxConnections() : 0, initial.services().size());
        serviceContext = new ServiceContext(transport, workers, metrics.registry(), Clock.systemUTC(), blocking,
                budget, initial.stateDir());
        supervisor = new Supervisor(serviceContext);
        adminAcme = new AcmeSlot("admin", serviceContext, () -> {
            AdminServer a = admin;
            return a == null ? null : a.tls();
        });
        Supervisor services = supervisor;
        history = new ServiceHistory(() -> services, metrics.registry(), Clock.systemUTC(), ServiceHistory.POINTS,
                ServiceHistory.INTERVAL);
        try {
            supervisor.startAll(initial.services().values());
            blocking.execute(metrics::bindJvm);
            sampling = history.start(workers.next(), blocking);
            admin = startAdmin(initial.admin());
            startAutosave(initial.admin());
            checkDescriptors(budget);
            switchUser(initial);
        } catch (Exception | Error e) {
            shutdownResources(Duration.ZERO);
            throw e;
        }
        printBanner();
        notify.ready();
    }

    /**
     * With {@code user} set and the process root: switches every thread to that user, keeping
     * {@code CAP_NET_BIND_SERVICE} on the event loops and the reload thread (they bind the
     * listeners a reload adds), then checks that the user can read and write what the config
     * names, so that a file it cannot use is an error now rather than at the first request.
     */
    private void switchUser(ServerConfig c) throws IOException {
        RunAs runAs = c.runAs();
        if (!runAs.enabled()) {
            return;
        }
        Privileges.Account account = Privileges.lookup(runAs.user(), runAs.group());
        if (Privileges.effectiveUid() == account.uid()) {
            log.debug("already running as {}", account);
        } else {
            // As nginx does with its logs: the files made by root at start that the daemon opens
            // again later (logs on SIGUSR1, admin token files on reload) become the user's.
            List<Path> reopened = new ArrayList<>(AccessCheck.logFiles(c, supervisor.running()));
            adminTokens.stream().map(AdminTokens.Resolved::file).filter(Objects::nonNull).forEach(reopened::add);
            for (Path file : reopened) {
                if (java.nio.file.Files.exists(file)) {
                    java.nio.file.Files.setOwner(file, file.getFileSystem().getUserPrincipalLookupService()
                            .lookupPrincipalByName(account.user()));
                }
            }
            List<Executor> binders = new ArrayList<>();
            workers.forEach(binders::add);
            binders.add(reloader);
            // CAP_NET_ADMIN joins this set when a service that makes network devices is configured.
            Privileges.switchTo(account, EnumSet.of(Privileges.Capability.NET_BIND_SERVICE), binders);
            log.info("running as user {}", account);
        }
        List<String> problems = new AccessCheck(account).check(c, source.file(), supervisor.running(), adminTokens);
        if (!problems.isEmpty()) {
            throw new IOException("user " + account.user() + " cannot use what the config names:\n  "
                    + String.join("\n  ", problems));
        }
        try {
            logging.accessLog(c.accessLog());
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage() + " as user " + account.user(), e);
        }
    }

    /**
     * Runs until SIGTERM or SIGINT (or {@link #requestStop()}), reloading on SIGHUP, then stops
     * within {@code shutdown_grace}. Returns the exit status: 0 after a clean stop.
     */
    public int run(ServerConfig initial, boolean handleSignals) throws Exception {
        if (handleSignals) {
            handleSignals();
        }
        try {
            start(initial);
        } catch (Exception | Error e) {
            releaseSignals();
            throw e;
        }
        return serveUntilStopped(handleSignals);
    }

    /**
     * Installs the handlers of SIGHUP, SIGTERM, SIGINT and SIGUSR1 now. Called before
     * {@link #start}, so that a signal sent while the services start, or as soon as "Ready." is
     * out, is acted on once the start is done rather than lost (an ignored SIGHUP) or fatal (the
     * default action of SIGHUP and SIGTERM).
     */
    public void handleSignals() {
        if (signals != null) {
            return;
        }
        Signals s = new Signals();
        s.on("HUP", this::requestReload);
        s.on("TERM", this::stopSignal);
        s.on("INT", this::stopSignal);
        s.on("USR1", this::requestReopen);
        signals = s;
    }

    /** Puts the signal handlers of {@link #handleSignals()} back (after a failed start). */
    public void releaseSignals() {
        if (signals != null) {
            signals.close();
            signals = null;
        }
    }

    /**
     * After {@link #start}: waits for SIGTERM or SIGINT (or {@link #requestStop()}), reloading on
     * SIGHUP, then stops. Returns the exit status, 0 after a clean stop.
     */
    public int serveUntilStopped(boolean handleSignals) throws InterruptedException {
        if (handleSignals) {
            handleSignals();
        }
        try {
            awaitStopRequest();
            stop();
        } finally {
            releaseSignals();
        }
        return 0;
    }

    /** Asks {@link #run} to stop; safe from any thread, including signal handlers. */
    public void requestStop() {
        stopping = true;
        stopRequested.countDown();
    }

    /** SIGTERM or SIGINT: the first one stops gracefully, a second one while stopping exits at once. */
    private void stopSignal() {
        if (stopRequested.getCount() == 0) {
            System.err.println("portico: second stop signal; exiting without waiting for the grace period");
            Runtime.getRuntime().halt(1);
        }
        requestStop();
    }

    /** Queues a reload on the reload thread; safe from signal handlers. */
    public void requestReload() {
        try {
            reloader.execute(this::reload);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.info("reload ignored: shutting down");
        }
    }

    /** Queues a reopening of the access log (SIGUSR1, after logrotate); safe from signal handlers. */
    public void requestReopen() {
        try {
            reloader.execute(this::reopenLogs);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("log reopening ignored: shutting down");
        }
    }

    /**
     * Reopens the shared access log, and each web service's own one by reconfiguring the service
     * with its current config (which also empties its file cache).
     */
    private synchronized void reopenLogs() {
        if (stopping || supervisor == null) {
            return;
        }
        try {
            logging.reopenAccessLog();
        } catch (IllegalArgumentException e) {
            log.error("access log: {}", e.getMessage());
        }
        for (Supervisor.Running r : supervisor.running()) {
            if (r.service() instanceof WebServer web && web.config().accessLog() != null) {
                try {
                    web.reconfigure(web.config());
                } catch (IOException | RuntimeException e) {
                    log.error("service {}: reopening its access log: {}", r.spec().name(), e.getMessage());
                }
            }
        }
        log.info("access logs reopened");
    }

    /**
     * Re-reads the config and applies it. A config with problems is logged, each problem as
     * file:line:column, and changes nothing.
     *
     * @return true when the new config was applied in full
     */
    public synchronized boolean reload() {
        if (stopping || supervisor == null) {
            return false;
        }
        notify.reloading();
        try {
            return reloadSource();
        } finally {
            notify.ready();
        }
    }

    private boolean reloadSource() {
        if (!source.reloadable()) {
            log.info("nothing to reload: {} has no config file", source.describe());
            return true;
        }
        log.info("reloading {}", source.describe());
        ServerConfig next;
        try {
            next = source.load();
        } catch (ConfigException e) {
            log.error("reload of {} failed; the running config stays in force:", source.describe());
            CheckCommand.inFileOrder(e.problems()).stream().map(Object::toString).distinct()
                    .forEach(p -> log.error("  {}", p));
            return false;
        }
        if (next.workers() != config.workers()) {
            log.warn("workers changed from {} to {}; this takes a restart", config.workers(), next.workers());
        }
        if (!next.stateDir().equals(config.stateDir())) {
            log.warn("state_dir changed to {}; this takes a restart", next.stateDir());
        }
        if (!next.runAs().equals(config.runAs())) {
            log.warn("user or group changed; this takes a restart");
        }
        if (!Objects.equals(next.transport(), config.transport())) {
            log.warn("transport changed to {}; this takes a restart", next.transport() == null ? "auto" : next.transport());
        }
        logging.level(logLevelOverride != null ? logLevelOverride : next.logLevel());
        transport.listening().handover(handoverFlag || next.listenHandover());
        boolean ok = true;
        try {
            logging.accessLog(next.accessLog());
        } catch (IllegalArgumentException e) {
            log.error("access log: {}", e.getMessage());
            ok = false;
        }
        Supervisor.ReloadResult result = supervisor.reload(next.services(), next.shutdownGrace());
        if (!next.admin().equals(config.admin())) {
            ok &= reloadAdmin(next.admin());
            startAutosave(next.admin());
        } else if (admin != null && admin.tls() != null) {
            try {
                admin.tls().reload();
            } catch (dev.portico.core.tls.TlsException e) {
                log.error("admin endpoint tls: {}; the old certificates stay", e.getMessage());
                ok = false;
            }
        }
        config = next;
        log.info("reload done: {}", result);
        return ok && result.ok();
    }

    /** Stops the admin endpoint and every service within {@code shutdown_grace}, then the loops. */
    public synchronized void stop() {
        stopping = true;
        notify.stopping();
        reloader.shutdownNow();
        Duration grace = config.shutdownGrace();
        log.info("stopping (grace {})", Durations.format(grace));
        shutdownResources(grace);
        logging.close();
        log.info("stopped");
    }

    /** Blocks until a stop is requested. */
    public void awaitStopRequest() throws InterruptedException {
        stopRequested.await();
    }

    public synchronized Supervisor supervisor() {
        return supervisor;
    }

    /** The admin endpoint's ACME manager ({@code admin.tls.acme}), or null without one. */
    public dev.portico.acme.CertificateManager adminCertificates() {
        AcmeSlot slot = adminAcme;
        return slot == null ? null : slot.manager();
    }

    /** The admin endpoint, or null when it is off. */
    public synchronized AdminServer admin() {
        return admin;
    }

    public synchronized Transport transport() {
        return transport;
    }

    public synchronized ServerConfig config() {
        return config;
    }

    /** The admin tokens in force, with where each is kept; empty when the admin endpoint is off. */
    public synchronized List<AdminTokens.Resolved> adminTokens() {
        return adminTokens;
    }

    /**
     * The config as running now: the top-level keys as loaded, and each service's current config
     * (lb services with every host, weight, group, scheduler and listener change made since, web
     * services with their listener changes).
     */
    public synchronized ServerConfig runningConfig() {
        Map<String, ServiceSpec> services = new LinkedHashMap<>();
        for (Supervisor.Running r : supervisor.running()) {
            ServiceSpec spec = r.spec();
            if (r.service() instanceof LbService lb) {
                spec = new ServiceSpec(spec.name(), spec.type(), lb.runningConfig(), spec.location());
            } else if (r.service() instanceof WebServer web) {
                spec = new ServiceSpec(spec.name(), spec.type(), web.config(), spec.location());
            }
            services.put(spec.name(), spec);
        }
        return new ServerConfig(config.source(), config.workers(), config.transport(), config.logLevel(),
                config.admin(), config.accessLog(), config.shutdownGrace(), services, config.listenHandover(),
                config.stateDir(), config.runAs());
    }

    /**
     * Writes {@link #runningConfig()} to the config file if it differs from what the file holds,
     * keeping a timestamped backup.
     *
     * @throws ControlException when there is no config file or it cannot be written
     */
    public Views.Saved save() {
        Path file = source.file();
        if (file == null || saver == null) {
            throw ControlException.conflict("nothing to save to: " + source.describe()
                    + " runs without a config file (use portico serve -c FILE)");
        }
        try {
            ConfigSaver.Result r = saver.save(file, runningConfig());
            if (r.written()) {
                log.info("saved the running config to {}{}", file, r.backup() != null ? " (previous: " + r.backup() + ")" : "");
            }
            return new Views.Saved(r.written(), file.toString(), r.backup() == null ? null : r.backup().toString());
        } catch (IOException | RuntimeException e) {
            throw new ControlException(ControlException.Kind.FAILED, "cannot save to " + file + ": " + e.getMessage(), e);
        }
    }

    /** Raises the soft descriptor limit to the hard one; a refusal is logged and the limit kept. */
    private static FileLimit raiseFileLimit() {
        try {
            FileLimit before = FileLimit.read();
            FileLimit after = FileLimit.raise();
            if (after.known() && after.soft() > before.soft()) {
                log.debug("file descriptor limit raised from {} to {}", before.soft(), after.soft());
            }
            return after;
        } catch (IOException e) {
            log.warn("cannot raise the file descriptor limit: {}", e.getMessage());
            return FileLimit.read();
        }
    }

    /**
     * Warns once when the services' connection caps can take more descriptors than the process
     * has, and starts closing idle keep-alive connections whenever open descriptors near the limit.
     */
    private void checkDescriptors(DescriptorBudget budget) {
        List<ConnectionCap> caps = new ArrayList<>();
        for (Supervisor.Running r : supervisor.running()) {
            caps.addAll(r.service().connectionCaps());
        }
        budget.check(caps).ifPresent(log::warn);
        if (!fileLimit.known()) {
            return;
        }
        Supervisor services = supervisor;
        DescriptorWatch watch = new DescriptorWatch(fileLimit.soft(), FileLimit::openDescriptors,
                into -> services.running().forEach(r -> r.service().idleConnections(into)), System::nanoTime);
        descriptorWatch = workers.next().scheduleWithFixedDelay(() -> blocking.execute(watch::check),
                1, 1, TimeUnit.SECONDS);
    }

    private void startAutosave(AdminSettings settings) {
        if (autosave != null) {
            autosave.cancel(false);
            autosave = null;
        }
        Duration every = settings.enabled() ? settings.autosave() : null;
        if (every == null || source.file() == null) {
            return;
        }
        long ms = every.toMillis();
        autosave = workers.next().scheduleAtFixedRate(() -> blocking.execute(() -> {
            try {
                save();
            } catch (ControlException e) {
                log.warn("autosave: {}", e.getMessage());
            }
        }), ms, ms, TimeUnit.MILLISECONDS);
    }

    private AdminServer startAdmin(AdminSettings settings) throws Exception {
        if (!settings.enabled()) {
            adminAcme.commit(null);
            return null;
        }
        ManagedCertificates acme;
        try {
            acme = adminAcme.prepare(settings.acme());
        } catch (IOException e) {
            throw new IOException("admin endpoint: tls.acme: " + e.getMessage(), e);
        }
        try {
            AdminServer started = startAdmin(settings, acme);
            adminAcme.commit(acme);
            return started;
        } catch (Exception | Error e) {
            adminAcme.abandon(acme);
            throw e;
        }
    }

    private AdminServer startAdmin(AdminSettings settings, ManagedCertificates acme) throws Exception {
        List<AdminTokens.Resolved> tokens;
        try {
            tokens = new AdminTokens().resolve(settings, config.stateDir());
        } catch (IOException e) {
            throw new IOException("admin token: " + e.getMessage()
                    + " (set admin.token or admin.token_file, or turn the admin endpoint off with --admin off)", e);
        }
        try {
            AdminServer.Builder b = AdminServer.builder(metrics)
                    .listen(settings.listen())
                    .executor(blocking)
                    .health(() -> !stopping)
                    .maxConnections(settings.limits().maxConnections())
                    .maxBody(settings.limits().maxBody())
                    .prefix(AdminApi.PREFIX, new AdminApi(new DaemonControlPlane(this::supervisor, this::save, history, this::adminCertificates)))
                    .routes(Dashboard::mount)
                    .onTlsConnection(p -> {
                        ManagedCertificates m = adminAcme.running();
                        if (m != null) {
                            m.addTlsAlpn01(p);
                        }
                    });
            tokens.forEach(t -> b.token(t.secret(), t.role()));
            dev.portico.core.tls.ServerTls tls = adminTls(settings, acme);
            b.tls(tls);
            AdminServer started;
            try {
                started = b.build().start(transport, workers);
            } catch (IOException e) {
                if (!moveAdmin || !ListenAddresses.inUseByAnother(e)) {
                    if (tls != null) {
                        tls.close();
                    }
                    throw e;
                }
                HostPort free = settings.listen().withPort(0);
                started = b.listen(free).build().start(transport, workers);
                out.println("portico: " + e.getMessage() + "; the admin endpoint moved to " + started.baseUrl());
            }
            adminTokens = tokens;
            startSsh(settings.ssh());
            return started;
        } catch (java.io.IOException e) {
            throw new java.io.IOException("admin endpoint: " + e.getMessage()
                    + " (set admin.listen, or --admin HOST:PORT, or turn it off with 'admin: off' / --admin off)", e);
        }
    }

    /**
     * The admin endpoint's certificates when {@code admin.tls} is set, else null: those of
     * {@code tls.certificates}, with the ACME ones of {@code acme} served first once they exist.
     */
    private dev.portico.core.tls.ServerTls adminTls(AdminSettings settings, ManagedCertificates acme)
            throws IOException {
        if (settings.tls() == null) {
            return null;
        }
        // One listener, HTTP/1.1 only: ALPN offers http/1.1 alone.
        List<ListenSpec> listeners = List.of(new ListenSpec(settings.listen(), true, ListenSpec.Http2.OFF));
        try {
            return AcmeSlot.openTls("admin", settings.tls(), listeners, List.of(settings.listen().host()),
                    serviceContext, acme);
        } catch (dev.portico.core.tls.TlsException e) {
            throw new IOException("tls: " + e.getMessage(), e);
        }
    }

    private void startSsh(AdminSettings.Ssh settings) throws IOException {
        closeSsh();
        if (settings == null) {
            return;
        }
        ssh = SshConsole.start(settings.listen(), settings.authorizedKeys(), settings.hostKey(),
                new DaemonControlPlane(this::supervisor, this::save, history, this::adminCertificates));
    }

    private void closeSsh() {
        if (ssh != null) {
            try {
                ssh.close();
            } catch (IOException e) {
                log.warn("closing the ssh console: {}", e.toString());
            }
            ssh = null;
        }
    }

    private boolean reloadAdmin(AdminSettings next) {
        if (admin != null) {
            admin.close();
            admin = null;
        }
        closeSsh();
        try {
            admin = startAdmin(next);
            log.info("admin endpoint {}", admin == null ? "off" : "now at " + admin.baseUrl());
            return true;
        } catch (Exception e) {
            log.error("{}; the old admin endpoint is restored", e.getMessage());
            try {
                admin = startAdmin(config.admin());
            } catch (Exception again) {
                log.error("the old admin endpoint could not be restored: {}", again.getMessage());
            }
            return false;
        }
    }

    private void shutdownResources(Duration grace) {
        if (descriptorWatch != null) {
            descriptorWatch.cancel(false);
            descriptorWatch = null;
        }
        if (sampling != null) {
            sampling.cancel(false);
            sampling = null;
        }
        if (autosave != null) {
            autosave.cancel(false);
            autosave = null;
        }
        if (admin != null) {
            admin.close();
            admin = null;
        }
        if (adminAcme != null) {
            adminAcme.close();
        }
        closeSsh();
        if (supervisor != null) {
            supervisor.shutdown(grace);
        }
        if (workers != null) {
            workers.shutdownGracefully(0, Math.max(100, grace.toMillis()), TimeUnit.MILLISECONDS).awaitUninterruptibly();
        }
        if (blocking != null) {
            blocking.shutdown();
            try {
                if (!blocking.awaitTermination(Math.max(100, grace.toMillis()), TimeUnit.MILLISECONDS)) {
                    blocking.shutdownNow();
                }
            } catch (InterruptedException e) {
                blocking.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        if (metrics != null) {
            metrics.registry().close();
        }
    }

    private void printBanner() {
        out.println("Portico " + VersionInfo.version() + " (" + config.source() + ")");
        out.println("  transport: " + transport.describe());
        out.println("  workers: " + config.workers());
        if (fileLimit.known()) {
            out.println("  file descriptors: " + fileLimit.soft());
        }
        for (Supervisor.Running r : supervisor.running()) {
            out.println("  service " + r.spec().label(false) + ": "
                    + String.join(", ", r.service().endpoints()));
        }
        if (admin != null) {
            out.println("  admin: " + admin.baseUrl() + "/metrics " + admin.baseUrl() + "/healthz"
                    + (admin.hasToken() ? " (bearer token required)" : ""));
            out.println("  api: " + admin.baseUrl() + AdminApi.PREFIX + "services" + tokenHint());
            out.println("  dashboard: " + dashboardLink());
            if (ssh != null) {
                out.println("  ssh console: ssh -p " + ssh.port() + " " + config.admin().ssh().listen().host());
            }
        } else {
            out.println("  admin: off");
        }
        out.println("Ready. " + (source.reloadable() ? "SIGHUP reloads " + source.describe() + "; " : "")
                + "SIGTERM or Ctrl-C stops (grace " + Durations.format(config.shutdownGrace()) + ").");
        out.flush();
    }

    /**
     * The dashboard address for the banner. The quick starts (no config file: an operator at a
     * terminal) print a ready link that carries the write token in the fragment, which browsers
     * never send to the server; {@code serve} prints the page and where the token is kept, so its
     * output (often a log) never holds the token.
     */
    private String dashboardLink() {
        String page = admin.baseUrl() + "/";
        if (source.file() == null) {
            return adminTokens.stream()
                    .filter(t -> t.role() == AdminRole.WRITE)
                    .findFirst()
                    .map(t -> page + "#token=" + URLEncoder.encode(t.secret(), StandardCharsets.UTF_8).replace("+", "%20"))
                    .orElse(page);
        }
        return page + tokenHint();
    }

    /** Where the write token is kept, for the banner; the token itself is not printed. */
    private String tokenHint() {
        return adminTokens.stream()
                .filter(t -> t.role() == AdminRole.WRITE && t.file() != null)
                .findFirst()
                .map(t -> " (token in " + t.file() + ")")
                .orElse(" (token as configured)");
    }

    private static ThreadFactory named(String prefix, boolean daemon) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(daemon);
            return t;
        };
    }
}
