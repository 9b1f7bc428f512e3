package dev.portico.acme;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.exception.AcmeNetworkException;
import org.shredzone.acme4j.exception.AcmeRateLimitedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Obtains and renews one certificate per configured name (one ACME order per name, not one
 * certificate with every name: a name that fails to validate does not hold back the others, and
 * each renews on its own schedule).
 *
 * <p>On {@link #start()} each name's stored key and chain are loaded when they are valid and match,
 * and {@link CertificateListener}s hear of them. A name without a usable pair is ordered at once;
 * one with a pair is renewed at two thirds of its lifetime (or {@code renew_before} ahead of
 * expiry). A failed attempt is retried after {@code retryMin}, doubling up to {@code retryMax}; the
 * old pair keeps serving meanwhile, and is replaced only once the new one is stored. Attempts run
 * on the scheduler passed in, which must not be an event loop (ACME calls block); one at a time.
 *
 * <p>Meters, registered by {@link #start()} and removed by {@link #close()}:
 * {@code portico_acme_certificate_expiry_seconds{service,name}} (seconds until the current
 * certificate expires, NaN without one) and {@code portico_acme_renewals{service,name,result}}
 * with {@code result} {@code ok} or {@code failed}. On a reload, build the new manager (which
 * checks {@code ca_roots}), close the old one, then start the new one: two managers of one
 * service share meter names, files and the ACME account.
 */
public final class CertificateManager implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CertificateManager.class);

    /** The longest a scheduled wake-up sleeps before it checks the clock again (the wall clock may jump). */
    private static final Duration MAX_SLEEP = Duration.ofHours(1);

    private final AcmeSettings settings;
    private final CertificateStore store;
    private final AcmeIssuer issuer;
    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private final MeterRegistry meters;
    private final String service;
    private final PendingChallenges challenges;
    private final Duration retryMin;
    private final Duration retryMax;
    private final Map<String, Managed> names = new LinkedHashMap<>();
    private final List<CertificateListener> listeners = new CopyOnWriteArrayList<>();
    private final List<Meter> registered = new ArrayList<>();
    private volatile boolean started;
    private volatile boolean closed;

    /** The state of one name; guarded by its own monitor. */
    private final class Managed {
        final String name;
        Counter ok;
        Counter failed;
        IssuedCertificate current;
        Instant lastRenewal;
        String lastError;
        Instant lastErrorAt;
        Instant nextAttempt;
        int failures;
        ScheduledFuture<?> wakeUp;
        CompletableFuture<NameStatus> running;

        Managed(String name) {
            this.name = name;
        }

        /** Registers the name's meters (at start, so that a manager built to replace another does not take over its meters). */
        void registerMeters() {
            this.ok = Counter.builder("portico_acme_renewals").description("ACME orders that stored a new certificate")
                    .tag("service", service).tag("name", name).tag("result", "ok").register(meters);
            this.failed = Counter.builder("portico_acme_renewals").description("ACME orders that failed")
                    .tag("service", service).tag("name", name).tag("result", "failed").register(meters);
            registered.add(ok);
            registered.add(failed);
            registered.add(Gauge.builder("portico_acme_certificate_expiry_seconds", this, Managed::secondsLeft)
                    .description("Seconds until the current certificate expires").tag("service", service)
                    .tag("name", name).register(meters));
        }

        synchronized double secondsLeft() {
            if (current == null) {
                return Double.NaN;
            }
            return Duration.between(clock.instant(), current.notAfter()).toMillis() / 1000.0;
        }

        synchronized NameStatus status() {
            return new NameStatus(name, Optional.ofNullable(current).map(IssuedCertificate::notAfter),
                    Optional.ofNullable(current).map(IssuedCertificate::serial), Optional.ofNullable(lastRenewal),
                    Optional.ofNullable(lastError), Optional.ofNullable(lastErrorAt),
                    running != null || closed ? Optional.empty() : Optional.ofNullable(nextAttempt), failures,
                    running != null);
        }
    }

    private CertificateManager(Builder b) throws IOException {
        this.settings = b.settings;
        this.scheduler = Objects.requireNonNull(b.scheduler, "scheduler");
        this.clock = b.clock;
        this.meters = b.meters;
        this.service = b.service;
        this.challenges = b.challenges;
        this.retryMin = b.retryMin;
        this.retryMax = b.retryMax;
        this.store = new CertificateStore(Objects.requireNonNull(b.stateDir, "stateDir"), settings.directory());
        Session session = new Session(settings.directory(), new AcmeTrust.Provider(AcmeTrust.sslContext(settings.caRoots())));
        session.networkSettings().setTimeout(b.timeout);
        this.issuer = new AcmeIssuer(session, store, settings.email(), b.timeout);
        for (String name : settings.names()) {
            names.put(name, new Managed(name));
        }
    }

    /**
     * A builder for the manager of these settings.
     *
     * @param settings what the {@code acme:} section says
     */
    public static Builder builder(AcmeSettings settings) {
        return new Builder(settings);
    }

    /** Adds a listener; those added before {@link #start()} also hear of the pairs loaded from disk. */
    public void addListener(CertificateListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** The answers a plain HTTP listener serves for HTTP-01. */
    public Http01Answers http01Answers() {
        return challenges;
    }

    /** The certificates a TLS listener serves for TLS-ALPN-01 (through {@link TlsAlpn01Handler}). */
    public TlsAlpn01Certificates tlsAlpn01Certificates() {
        return challenges;
    }

    /** The managed names, in config order. */
    public List<String> names() {
        return List.copyOf(names.keySet());
    }

    /** Where the chain of a name is stored (it may not exist yet). */
    public Path certFile(String name) {
        return store.certFile(managed(name).name);
    }

    /** Where the key of a name is stored (it may not exist yet). */
    public Path keyFile(String name) {
        return store.keyFile(managed(name).name);
    }

    /**
     * Loads the stored pairs, tells the listeners of them, and schedules each name: an order now
     * for a name without a usable pair, a renewal for the others. Reads files only; no network.
     */
    public void start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        Instant now = clock.instant();
        for (Managed m : names.values()) {
            m.registerMeters();
        }
        for (Managed m : names.values()) {
            IssuedCertificate loaded = null;
            try {
                loaded = store.load(m.name);
            } catch (IOException e) {
                log.warn("acme: the stored certificate of {} cannot be used, ordering a new one: {}", m.name, e.getMessage());
            }
            synchronized (m) {
                if (loaded != null) {
                    m.current = loaded;
                    m.lastRenewal = storedAt(m.name);
                    m.nextAttempt = renewalTime(loaded);
                } else {
                    m.nextAttempt = now;
                }
            }
            if (loaded != null) {
                fire(loaded);
            }
        }
        for (Managed m : names.values()) {
            Instant at;
            synchronized (m) {
                at = m.nextAttempt;
            }
            wakeAt(m, at);
        }
    }

    /** The current pair of a name, if it has one. */
    public Optional<IssuedCertificate> current(String name) {
        Managed m = managed(name);
        synchronized (m) {
            return Optional.ofNullable(m.current);
        }
    }

    /** The status of every name, in config order. */
    public List<NameStatus> status() {
        return names.values().stream().map(Managed::status).toList();
    }

    /** The status of one name. */
    public Optional<NameStatus> status(String name) {
        Managed m = names.get(normalize(name));
        return m == null ? Optional.empty() : Optional.of(m.status());
    }

    /**
     * Renews a name now, whatever its schedule (an attempt already running is joined instead).
     *
     * @return completes with the name's status once the attempt ended, failed or not
     * @throws IllegalArgumentException when the name is not managed here
     * @throws IllegalStateException    before {@link #start()} or after {@link #close()}
     */
    public CompletableFuture<NameStatus> renew(String name) {
        Managed m = managed(name);
        if (!started || closed) {
            throw new IllegalStateException(closed ? "closed" : "not started");
        }
        synchronized (m) {
            if (m.running != null) {
                return m.running;
            }
            if (m.wakeUp != null) {
                m.wakeUp.cancel(false);
                m.wakeUp = null;
            }
        }
        return submit(m);
    }

    /** Stops scheduling (an attempt under way finishes) and removes the meters. */
    @Override
    public void close() {
        closed = true;
        for (Managed m : names.values()) {
            synchronized (m) {
                if (m.wakeUp != null) {
                    m.wakeUp.cancel(false);
                    m.wakeUp = null;
                }
            }
        }
        for (Meter meter : registered) {
            meters.remove(meter);
        }
    }

    private Managed managed(String name) {
        Managed m = names.get(normalize(name));
        if (m == null) {
            throw new IllegalArgumentException("'" + name + "' is not a name managed by acme (" + String.join(", ", names.keySet()) + ")");
        }
        return m;
    }

    private static String normalize(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    /** When a pair is due for renewal: {@code renew_before} ahead of expiry, else at 2/3 of its lifetime. */
    Instant renewalTime(IssuedCertificate cert) {
        if (settings.renewBefore() != null) {
            return cert.notAfter().minus(settings.renewBefore());
        }
        Duration lifetime = Duration.between(cert.notBefore(), cert.notAfter());
        return cert.notBefore().plus(lifetime.multipliedBy(2).dividedBy(3));
    }

    /** The wait after the n-th failure in a row: retryMin, doubling, at most retryMax. */
    Duration backoff(int failures) {
        Duration d = retryMin;
        for (int i = 1; i < failures && d.compareTo(retryMax) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(retryMax) > 0 ? retryMax : d;
    }

    private Instant storedAt(String name) {
        try {
            return store.storedAt(name);
        } catch (IOException e) {
            return null;
        }
    }

    private void wakeAt(Managed m, Instant at) {
        if (closed) {
            return;
        }
        Duration wait = Duration.between(clock.instant(), at);
        if (wait.isNegative()) {
            wait = Duration.ZERO;
        }
        Duration sleep = wait.compareTo(MAX_SLEEP) > 0 ? MAX_SLEEP : wait;
        synchronized (m) {
            if (m.wakeUp != null) {
                m.wakeUp.cancel(false);
            }
            try {
                m.wakeUp = scheduler.schedule(() -> wake(m), sleep.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                m.wakeUp = null;
            }
        }
    }

    private void wake(Managed m) {
        Instant due;
        synchronized (m) {
            m.wakeUp = null;
            if (m.running != null || closed) {
                return;
            }
            due = m.nextAttempt;
        }
        if (due != null && clock.instant().isBefore(due)) {
            wakeAt(m, due);
            return;
        }
        attempt(m, null);
    }

    private CompletableFuture<NameStatus> submit(Managed m) {
        CompletableFuture<NameStatus> result = new CompletableFuture<>();
        synchronized (m) {
            if (m.running != null) {
                return m.running;
            }
            m.running = result;
        }
        try {
            scheduler.execute(() -> attempt(m, result));
        } catch (RejectedExecutionException e) {
            synchronized (m) {
                m.running = null;
            }
            result.completeExceptionally(e);
        }
        return result;
    }

    /** One order for a name; {@code result} is the future a forced renewal waits on, or null for a scheduled one. */
    private void attempt(Managed m, CompletableFuture<NameStatus> result) {
        if (result == null) {
            result = new CompletableFuture<>();
            synchronized (m) {
                if (m.running != null) {
                    return;
                }
                m.running = result;
            }
        }
        IssuedCertificate stored = null;
        try {
            AcmeIssuer.Issued issued = issuer.issue(m.name, settings.challenges(), challenges);
            stored = store.save(m.name, issued.key().getPrivate(), issued.chain());
            synchronized (m) {
                m.current = stored;
                m.lastRenewal = clock.instant();
                m.failures = 0;
                m.nextAttempt = renewalTime(stored);
            }
            m.ok.increment();
            log.info("acme: stored a certificate for {} (serial {}, valid until {})", m.name, stored.serial().toString(16),
                    stored.notAfter());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed(m, "interrupted");
        } catch (AcmeIssuer.IssueException e) {
            failed(m, e.getMessage());
        } catch (AcmeRateLimitedException e) {
            failed(m, "rate limited by the CA: " + describe(e), e.getRetryAfter().orElse(null));
        } catch (AcmeNetworkException e) {
            failed(m, "cannot reach " + settings.directory() + ": " + describe(e));
        } catch (AcmeException | IOException e) {
            failed(m, describe(e));
        } catch (RuntimeException e) {
            log.error("acme: unexpected failure ordering {}", m.name, e);
            failed(m, describe(e));
        }
        Instant next;
        synchronized (m) {
            m.running = null;
            next = m.nextAttempt;
        }
        if (stored != null) {
            fire(stored);
        }
        wakeAt(m, next);
        result.complete(m.status());
    }

    private void failed(Managed m, String reason) {
        failed(m, reason, null);
    }

    /** Records a failure; the retry waits for the backoff, and at least until {@code retryAfter} when the CA gave one. */
    private void failed(Managed m, String reason, Instant retryAfter) {
        Instant now = clock.instant();
        Instant next;
        int failures;
        synchronized (m) {
            m.failures++;
            failures = m.failures;
            m.lastError = reason;
            m.lastErrorAt = now;
            next = now.plus(backoff(m.failures));
            if (retryAfter != null && retryAfter.isAfter(next)) {
                next = retryAfter;
            }
            m.nextAttempt = next;
        }
        m.failed.increment();
        log.warn("acme: no certificate for {} (failure {} in a row, next attempt at {}): {}", m.name, failures, next, reason);
    }

    /** The messages along a cause chain, each once ("Network error: Connection refused"); a class name where there is none. */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String msg = t.getMessage() != null ? t.getMessage() : t.getCause() == null ? t.getClass().getSimpleName() : null;
            if (msg != null && !sb.toString().contains(msg)) {
                sb.append(sb.isEmpty() ? "" : ": ").append(msg);
            }
        }
        return sb.toString();
    }

    private void fire(IssuedCertificate cert) {
        for (CertificateListener l : listeners) {
            try {
                l.stored(cert);
            } catch (RuntimeException e) {
                log.error("acme: a certificate listener failed for {}", cert.name(), e);
            }
        }
    }

    /** Builds a {@link CertificateManager}; the scheduler and the state directory are required. */
    public static final class Builder {
        private final AcmeSettings settings;
        private Path stateDir;
        private ScheduledExecutorService scheduler;
        private Clock clock = Clock.systemUTC();
        private MeterRegistry meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        private String service = "";
        private PendingChallenges challenges = new PendingChallenges();
        private Duration retryMin = Duration.ofMinutes(1);
        private Duration retryMax = Duration.ofDays(1);
        private Duration timeout = Duration.ofSeconds(60);

        private Builder(AcmeSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
        }

        /** The process's state directory; files go under {@code STATE_DIR/acme/}. */
        public Builder stateDir(Path stateDir) {
            this.stateDir = stateDir;
            return this;
        }

        /** Runs the (blocking) ACME work; not an event loop. One thread is enough. */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = scheduler;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public Builder meters(MeterRegistry meters) {
            this.meters = Objects.requireNonNull(meters, "meters");
            return this;
        }

        /** The service name in the meters' {@code service} tag. */
        public Builder service(String service) {
            this.service = Objects.requireNonNull(service, "service");
            return this;
        }

        /** Where the challenge answers are published; a fresh one by default. */
        public Builder challenges(PendingChallenges challenges) {
            this.challenges = Objects.requireNonNull(challenges, "challenges");
            return this;
        }

        /** The wait after the first failure (default 1 minute); it doubles with each failure in a row. */
        public Builder retryMin(Duration retryMin) {
            this.retryMin = positive(retryMin, "retryMin");
            return this;
        }

        /** The longest wait between failed attempts (default 1 day). */
        public Builder retryMax(Duration retryMax) {
            this.retryMax = positive(retryMax, "retryMax");
            return this;
        }

        /** How long one network call, one validation or one finalization may take (default 60 s). */
        public Builder timeout(Duration timeout) {
            this.timeout = positive(timeout, "timeout");
            return this;
        }

        private static Duration positive(Duration d, String what) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be longer than 0");
            }
            return d;
        }

        /**
         * @throws IOException when {@code ca_roots} cannot be read
         */
        public CertificateManager build() throws IOException {
            if (retryMax.compareTo(retryMin) < 0) {
                throw new IllegalArgumentException("retryMax is shorter than retryMin");
            }
            return new CertificateManager(this);
        }
    }
}
