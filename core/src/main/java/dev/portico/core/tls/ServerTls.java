package dev.portico.core.tls;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.Mapping;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The server side of TLS for one service: an {@link SslContext} per certificate, chosen per
 * connection by SNI (exact name, then a one-label wildcard, then the first certificate), and
 * replaced whole when a file changes.
 *
 * <p>Netty has no reloading key manager, so a reload builds new contexts and swaps an
 * {@link AtomicReference} that every new connection's SNI lookup reads: open connections keep the
 * context they started with. The files (certificates, keys, OCSP response, ticket keys, client CA)
 * are polled by their resolved paths, so a symlink swapped to a new target (certbot) counts as a
 * change; a pair that does not load (a key written before its certificate, say) leaves the old
 * contexts serving, and the log says why.
 *
 * <p>Session tickets: with BoringSSL, without a ticket key file, keys are random and rotated every
 * 12 hours, the previous key still decrypting; with one, its keys are used as they are and read
 * again when it changes. OCSP responses are stapled to handshakes whose certificate they answer for.
 * The JDK engine ignores ticket keys and OCSP, with a warning.
 */
public final class ServerTls implements Mapping<String, SslContext>, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

    /** TLS 1.3 suites: fixed with BoringSSL, and needed in the JDK's list for TLS 1.3 to be enabled. */
    private static final List<String> TLS13_CIPHERS =
            List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");

    /** How often the files are looked at. */
    public static final Duration POLL = Duration.ofMillis(500);
    /** How often random ticket keys are replaced. */
    public static final Duration TICKET_ROTATION = Duration.ofHours(12);

    private final String owner;
    private final TlsSettings settings;
    private final TlsEngine engine;
    private final Clock clock;
    private final List<String> alpnOffered;
    /** The offer of listeners with {@code http2: off} when it differs from {@link #alpnOffered}, else null. */
    private final List<String> alpnHttp1;
    private final List<TlsSettings.CertificateFiles> pairs;
    private final SelfSigned.Issued selfSigned;
    private final TicketKeys randomTickets;
    private final AtomicReference<Snapshot> current = new AtomicReference<>();
    private final Object reloadLock = new Object();
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
    private volatile List<String> lastSeen = List.of();
    /** Pairs managed by someone else (ACME): served first once both files exist, read again on {@link #reload()}. */
    private volatile List<TlsSettings.CertificateFiles> managed = List.of();
    private volatile boolean closed;

    /**
     * The contexts of one load; {@code only} is the entry when there is one certificate (every
     * name gets it, so a connection need not wait for its server name), else null.
     */
    record Snapshot(Map<String, Entry> exact, Map<String, Entry> wildcard, Entry fallback,
                    Map<SslContext, Entry> byContext, Entry only) {

        Entry find(String hostname) {
            if (hostname == null) {
                return fallback;
            }
            Entry e = exact.get(hostname);
            if (e != null) {
                return e;
            }
            int dot = hostname.indexOf('.');
            if (dot > 0 && !wildcard.isEmpty()) {
                e = wildcard.get(hostname.substring(dot + 1));
                if (e != null) {
                    return e;
                }
            }
            return fallback;
        }
    }

    /**
     * One certificate's context, with the OCSP response stapled for it (or null), and the context
     * for listeners with {@code http2: off} when the service has some (ALPN without h2), or null.
     */
    record Entry(SslContext context, SslContext http1, X509Certificate leaf, byte[] ocsp) {

        /** The context for a listener that speaks h2 ({@code true}) or not. */
        SslContext context(boolean http2) {
            return http2 || http1 == null ? context : http1;
        }
    }

    /**
     * Everything from the process a {@link ServerTls} needs.
     *
     * @param owner         the service name, for log lines
     * @param engine        the TLS implementation
     * @param stateDir      where {@code self_signed} keeps its CA and certificate
     * @param names         the names a self-signed certificate is made for (listen hosts)
     * @param alpnSupported the ALPN protocols the service can speak; the offer is
     *                      {@link TlsSettings#alpn()} less the others
     * @param clock         wall time, for certificate expiry
     * @param scheduler     runs the file poll and the ticket key rotation
     * @param blocking      reads files off the event loops
     * @param meters        where the engine gauge goes
     * @param http1Listeners true when some TLS listeners of a service that speaks h2 have
     *                      {@code http2: off}: they get contexts whose ALPN offer leaves h2 out
     */
    public record Environment(String owner, TlsEngine engine, Path stateDir, Collection<String> names,
                              Collection<String> alpnSupported, Clock clock, ScheduledExecutorService scheduler,
                              Executor blocking, MeterRegistry meters, boolean http1Listeners) {
        public Environment {
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(engine, "engine");
            names = List.copyOf(names);
            alpnSupported = List.copyOf(alpnSupported);
        }

        /** An environment where every TLS listener speaks what {@code alpnSupported} lists. */
        public Environment(String owner, TlsEngine engine, Path stateDir, Collection<String> names,
                           Collection<String> alpnSupported, Clock clock, ScheduledExecutorService scheduler,
                           Executor blocking, MeterRegistry meters) {
            this(owner, engine, stateDir, names, alpnSupported, clock, scheduler, blocking, meters, false);
        }
    }

    private ServerTls(TlsSettings settings, Environment env) throws TlsException {
        this.owner = env.owner();
        this.settings = settings;
        this.engine = env.engine();
        this.clock = env.clock();
        this.alpnOffered = settings.alpn().stream().filter(env.alpnSupported()::contains).toList();
        this.alpnHttp1 = env.http1Listeners() && alpnOffered.contains("h2")
                ? alpnOffered.stream().filter(p -> !p.equals("h2")).toList() : null;
        if (settings.certificates().isEmpty()) {
            selfSigned = SelfSigned.ensure(SelfSigned.directory(env.stateDir()), env.names(), clock);
            pairs = List.of(new TlsSettings.CertificateFiles(selfSigned.cert(), selfSigned.key()));
        } else {
            selfSigned = null;
            pairs = settings.certificates();
        }
        randomTickets = engine.isNative() && settings.ticketKeyFile() == null ? new TicketKeys(new SecureRandom()) : null;
        if (!engine.isNative()) {
            if (settings.ticketKeyFile() != null) {
                log.warn("{}: tls.ticket_key_file is ignored by the JDK TLS engine ({})", owner, engine.reason());
            }
            if (settings.ocsp() != null) {
                log.warn("{}: tls.ocsp is ignored by the JDK TLS engine ({})", owner, engine.reason());
            }
        }
        lastSeen = signature();
        current.set(load());
    }

    /**
     * Loads the certificates and starts watching their files.
     *
     * @throws TlsException naming the file that cannot be used
     */
    public static ServerTls open(TlsSettings settings, Environment env) throws TlsException {
        ServerTls tls = new ServerTls(settings, env);
        env.engine().register(env.meters());
        if (env.engine().reason() != null) {
            log.info("{}: TLS on the JDK engine: {}", env.owner(), env.engine().reason());
        }
        if (env.scheduler() != null) {
            long poll = POLL.toMillis();
            tls.tasks.add(env.scheduler().scheduleWithFixedDelay(() -> env.blocking().execute(tls::checkFiles),
                    poll, poll, TimeUnit.MILLISECONDS));
            if (tls.randomTickets != null) {
                long every = TICKET_ROTATION.toMillis();
                tls.tasks.add(env.scheduler().scheduleAtFixedRate(() -> env.blocking().execute(tls::rotateTickets),
                        every, every, TimeUnit.MILLISECONDS));
            }
        }
        return tls;
    }

    /**
     * Adds the TLS front door to a new connection's pipeline; after the handshake {@code protocols}
     * is told which protocol ALPN chose and adds the handlers that speak it.
     */
    public void install(ChannelPipeline pipeline, TlsFrontDoor.Protocols protocols) {
        TlsFrontDoor.install(pipeline, this, protocols, TlsFrontDoor.Admission.UNLIMITED, true);
    }

    /**
     * As {@link #install(ChannelPipeline, TlsFrontDoor.Protocols)}, with the connection holding a
     * place of {@code admission} until its handshake is over: a connection that finds no place is
     * closed at once, so connections still in their handshake count toward the service's limit.
     */
    public void install(ChannelPipeline pipeline, TlsFrontDoor.Protocols protocols, TlsFrontDoor.Admission admission) {
        TlsFrontDoor.install(pipeline, this, protocols, admission, true);
    }

    /**
     * As {@link #install(ChannelPipeline, TlsFrontDoor.Protocols, TlsFrontDoor.Admission)}, for a
     * listener that offers h2 through ALPN ({@code http2} true) or not (its {@code http2: off}).
     */
    public void install(ChannelPipeline pipeline, TlsFrontDoor.Protocols protocols, TlsFrontDoor.Admission admission,
                        boolean http2) {
        TlsFrontDoor.install(pipeline, this, protocols, admission, http2);
    }

    public TlsSettings settings() {
        return settings;
    }

    public TlsEngine engine() {
        return engine;
    }

    /** The ALPN protocols offered, in order of preference. */
    public List<String> alpnOffered() {
        return alpnOffered;
    }

    /** The self-signed CA and certificate in use, or null when certificates come from files. */
    public SelfSigned.Issued selfSigned() {
        return selfSigned;
    }

    /** The certificate a client without SNI gets now. */
    public X509Certificate defaultCertificate() {
        return current.get().fallback().leaf();
    }

    /** The context for a server name: exact, then one-label wildcard, then the default. */
    @Override
    public SslContext map(String hostname) {
        return current.get().find(hostname).context();
    }

    Entry entry(String hostname) {
        return current.get().find(hostname);
    }

    /** The entry that answers every name when there is one certificate, else null. */
    Entry onlyEntry() {
        return current.get().only();
    }

    /**
     * Reads every file again (SIGHUP) and swaps the new contexts in for new handshakes.
     *
     * @throws TlsException when a file cannot be used; the old contexts keep serving
     */
    public void reload() throws TlsException {
        synchronized (reloadLock) {
            lastSeen = signature();
            current.set(load());
            log.info("{}: TLS certificates reloaded", owner);
        }
    }

    /**
     * Adds certificates another component keeps up to date (ACME). They come before the configured
     * ones, so their names are served by them; a pair whose files do not exist yet is skipped
     * (the configured or self-signed certificate answers for its name meanwhile). Their files are
     * not polled, since the key and the certificate are replaced one after the other: the owner
     * calls {@link #reload()} once both are in place.
     *
     * <p>A managed pair that exists but cannot be used is left out with a warning, so a damaged
     * file never keeps the service's other certificates from serving.
     *
     * @throws TlsException when a configured pair cannot be used; the old contexts keep serving
     */
    public void managed(List<TlsSettings.CertificateFiles> pairs) throws TlsException {
        synchronized (reloadLock) {
            managed = List.copyOf(pairs);
            current.set(load());
        }
    }

    /** Stops watching the files. */
    @Override
    public void close() {
        closed = true;
        tasks.forEach(t -> t.cancel(false));
        tasks.clear();
    }

    private void checkFiles() {
        if (closed) {
            return;
        }
        synchronized (reloadLock) {
            List<String> now = signature();
            if (now.equals(lastSeen)) {
                return;
            }
            lastSeen = now;
            try {
                current.set(load());
                log.info("{}: TLS files changed; new handshakes use them", owner);
            } catch (TlsException e) {
                log.warn("{}: TLS files changed but cannot be used, so the previous certificates keep serving: {}",
                        owner, e.getMessage());
            }
        }
    }

    /** What the 12-hour schedule does: a new random ticket key, the previous one still decrypting. */
    void rotateTickets() {
        if (closed || randomTickets == null) {
            return;
        }
        randomTickets.rotate();
        OpenSslSessionTicketKey[] keys = randomTickets.keys();
        for (SslContext c : current.get().byContext().keySet()) {
            ((OpenSslSessionContext) c.sessionContext()).setTicketKeys(keys);
        }
        log.debug("{}: session ticket key rotated", owner);
    }

    /** Each watched file's resolved path, size and modification time; a missing file counts too. */
    private List<String> signature() {
        List<Path> files = new ArrayList<>();
        for (TlsSettings.CertificateFiles p : pairs) {
            files.add(p.cert());
            files.add(p.key());
        }
        for (Path p : new Path[]{settings.ocsp(), settings.ticketKeyFile(), settings.clientCa()}) {
            if (p != null) {
                files.add(p);
            }
        }
        List<String> out = new ArrayList<>(files.size());
        for (Path f : files) {
            try {
                Path real = f.toRealPath();
                out.add(real + " " + Files.size(real) + " " + Files.getLastModifiedTime(real).toMillis());
            } catch (IOException e) {
                out.add(f + " missing");
            }
        }
        return out;
    }

    private Snapshot load() throws TlsException {
        OcspStaple ocsp = settings.ocsp() != null && engine.isNative() ? OcspStaple.read(settings.ocsp()) : null;
        OpenSslSessionTicketKey[] tickets = null;
        if (engine.isNative()) {
            tickets = settings.ticketKeyFile() != null ? TicketKeys.readFile(settings.ticketKeyFile()) : randomTickets.keys();
        }
        Map<String, Entry> exact = new HashMap<>();
        Map<String, Entry> wildcard = new HashMap<>();
        Map<SslContext, Entry> byContext = new IdentityHashMap<>();
        Entry first = null;
        List<TlsSettings.CertificateFiles> all = new ArrayList<>();
        for (TlsSettings.CertificateFiles m : managed) {
            if (Files.isRegularFile(m.cert()) && Files.isRegularFile(m.key())) {
                all.add(m);
            }
        }
        int managedCount = all.size();
        all.addAll(pairs);
        for (int i = 0; i < all.size(); i++) {
            TlsSettings.CertificateFiles pair = all.get(i);
            PemFiles.Loaded loaded;
            try {
                loaded = PemFiles.load(pair.cert(), pair.key(), clock.instant(),
                        w -> log.warn("{}: {}", owner, w.message()));
            } catch (TlsException e) {
                if (i >= managedCount) {
                    throw e;
                }
                // its owner replaces it; meanwhile the other certificates answer for its name
                log.warn("{}: {} is not served: {}", owner, pair.cert(), e.getMessage());
                continue;
            }
            SslContext context = context(loaded, pair, alpnOffered);
            SslContext http1 = alpnHttp1 == null ? null : context(loaded, pair, alpnHttp1);
            if (tickets != null) {
                ((OpenSslSessionContext) context.sessionContext()).setTicketKeys(tickets);
                if (http1 != null) {
                    ((OpenSslSessionContext) http1.sessionContext()).setTicketKeys(tickets);
                }
            }
            byte[] staple = ocsp != null && ocsp.serials().contains(loaded.leaf().getSerialNumber()) ? ocsp.der() : null;
            Entry entry = new Entry(context, http1, loaded.leaf(), staple);
            byContext.put(context, entry);
            if (http1 != null) {
                byContext.put(http1, entry);
            }
            if (first == null) {
                first = entry;
            }
            for (String name : dnsNames(loaded.leaf())) {
                if (name.startsWith("*.")) {
                    wildcard.putIfAbsent(name.substring(2), entry);
                } else {
                    exact.putIfAbsent(name, entry);
                }
            }
        }
        if (ocsp != null && byContext.values().stream().allMatch(e -> e.ocsp() == null)) {
            log.warn("{}: OCSP response {} answers for none of the certificates; it is not stapled", owner, settings.ocsp());
        }
        Entry only = byContext.values().stream().distinct().count() == 1 ? first : null;
        return new Snapshot(Map.copyOf(exact), Map.copyOf(wildcard), first, byContext, only);
    }

    private SslContext context(PemFiles.Loaded loaded, TlsSettings.CertificateFiles pair, List<String> alpn)
            throws TlsException {
        List<String> ciphers = new ArrayList<>(settings.ciphers());
        if (settings.protocols().contains("TLSv1.3")) {
            ciphers.addAll(TLS13_CIPHERS);
        }
        SslContextBuilder b = SslContextBuilder.forServer(loaded.key(), loaded.chain().toArray(X509Certificate[]::new))
                .sslProvider(engine.provider())
                .protocols(settings.protocols())
                .ciphers(ciphers, SupportedCipherSuiteFilter.INSTANCE);
        if (!alpn.isEmpty()) {
            b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
        }
        if (settings.clientCa() != null) {
            b.trustManager(PemFiles.certificates(settings.clientCa()).toArray(X509Certificate[]::new))
                    .clientAuth(settings.verify() == TlsSettings.ClientAuth.REQUIRED ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
        }
        if (engine.isNative() && settings.ocsp() != null) {
            b.enableOcsp(true);
        }
        SslContext context;
        try {
            context = b.build();
        } catch (SSLException | RuntimeException e) {
            throw new TlsException(pair.cert(), "cannot use " + pair.cert() + " with " + pair.key() + ": " + e.getMessage(), e);
        }
        if (settings.protocols().contains("TLSv1.2")
                && context.cipherSuites().stream().noneMatch(c -> !TLS13_CIPHERS.contains(c))) {
            throw new TlsException(null, "none of the configured TLS 1.2 ciphers " + settings.ciphers()
                    + " is supported by the " + engine.name() + " engine");
        }
        return context;
    }

    /** The DNS names of a certificate, lower case: its SANs, else its CN. */
    static List<String> dnsNames(X509Certificate c) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> sans = c.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if ((Integer) san.get(0) == 2) {
                        out.add(String.valueOf(san.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // no usable SANs: fall back to the CN below
        }
        if (out.isEmpty()) {
            String dn = c.getSubjectX500Principal().getName();
            for (String part : dn.split(",")) {
                if (part.startsWith("CN=")) {
                    out.add(part.substring(3).toLowerCase(Locale.ROOT));
                }
            }
        }
        return out;
    }
}
