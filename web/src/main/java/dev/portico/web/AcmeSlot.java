package dev.portico.web;

import dev.portico.acme.AcmeSettings;
import dev.portico.acme.CertificateManager;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.tls.ServerTls;
import dev.portico.core.tls.TlsEngine;
import dev.portico.core.tls.TlsException;
import dev.portico.core.tls.TlsSettings;
import dev.portico.core.transport.ListenSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The {@code tls.acme} certificates of one service (web or proxy) across its reloads. A reload
 * first {@linkplain #prepare prepares} the manager its new config needs: the running one when the
 * {@code acme} settings are unchanged, so an order under way is not abandoned, else a new one that
 * is not started yet. It then {@linkplain #commit commits} it once the new config is in force, or
 * {@linkplain #abandon abandons} it when the reload failed.
 *
 * <p>When a certificate is stored, the service's TLS contexts are read again so that new
 * handshakes get it.
 */
public final class AcmeSlot implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AcmeSlot.class);

    private final String service;
    private final ServiceContext context;
    private final Supplier<ServerTls> tls;
    private volatile ManagedCertificates running;

    /**
     * @param service the service's name, for threads and logs
     * @param context where the state directory, clock and meters come from
     * @param tls     the service's TLS contexts in force (null while it has none)
     */
    public AcmeSlot(String service, ServiceContext context, Supplier<ServerTls> tls) {
        this.service = Objects.requireNonNull(service, "service");
        this.context = Objects.requireNonNull(context, "context");
        this.tls = Objects.requireNonNull(tls, "tls");
    }

    /**
     * The manager for {@code settings}: the running one when they are unchanged, else a new one,
     * not started; null for null settings.
     *
     * @throws IOException when the state directory cannot hold the ACME account or certificates
     */
    public ManagedCertificates prepare(AcmeSettings settings) throws IOException {
        if (settings == null) {
            return null;
        }
        ManagedCertificates current = running;
        if (current != null && current.settings().equals(settings)) {
            return current;
        }
        ManagedCertificates fresh = new ManagedCertificates(service, settings, context);
        fresh.manager().addListener(issued -> {
            // Called once the key and the chain are both stored: new handshakes get the new pair.
            ServerTls serving = tls.get();
            if (serving != null && running == fresh) {
                try {
                    serving.reload();
                    log.info("{}: serving the certificate of {} (serial {}, expires {})", service, issued.name(),
                            issued.serial().toString(16), issued.notAfter());
                } catch (TlsException e) {
                    log.warn("{}: the certificate of {} was stored but cannot be served: {}", service, issued.name(),
                            e.getMessage());
                }
            }
        });
        return fresh;
    }

    /** Puts {@code next} (from {@link #prepare}) in force: the one it replaces stops, a new one starts. */
    public void commit(ManagedCertificates next) {
        ManagedCertificates previous = running;
        running = next;
        if (next != previous) {
            close(previous);
            if (next != null) {
                next.manager().start();
            }
        }
    }

    /** Drops {@code next} (from {@link #prepare}) after a reload that failed; the running one stays. */
    public void abandon(ManagedCertificates next) {
        if (next != running) {
            close(next);
        }
    }

    /** The manager in force, or null. */
    public ManagedCertificates running() {
        return running;
    }

    /** The certificate manager in force (status, forced renewals), or null without {@code tls.acme}. */
    public CertificateManager manager() {
        ManagedCertificates m = running;
        return m == null ? null : m.manager();
    }

    /**
     * Opens the TLS contexts of a web or proxy service's listeners: the certificates of
     * {@code settings}, with the pairs of {@code managed} (ACME) served first once they exist.
     * Listeners with {@code http2: off} beside ones with h2 get contexts whose ALPN offer leaves h2 out.
     *
     * @param names the names a self-signed stand-in is made for (ACME names, listen hosts, virtual hosts)
     */
    public static ServerTls openTls(String owner, TlsSettings settings, List<ListenSpec> listeners,
                                    Collection<String> names, ServiceContext context, ManagedCertificates managed)
            throws TlsException {
        List<String> all = new ArrayList<>();
        if (managed != null) {
            all.addAll(managed.settings().names());
        }
        all.addAll(names);
        ServerTls.Environment env = new ServerTls.Environment(owner, TlsEngine.detect(), context.stateDir(), all,
                ListenSpec.tlsAlpn(listeners), context.clock(), context.workers(), context.blocking(),
                context.meters(), ListenSpec.mixedTlsHttp2(listeners));
        ServerTls tls = ServerTls.open(settings, env);
        if (managed != null) {
            try {
                tls.managed(managed.pairs());
            } catch (TlsException e) {
                tls.close();
                throw e;
            }
        }
        return tls;
    }

    /** Stops renewals and the ACME thread. */
    @Override
    public void close() {
        close(running);
        running = null;
    }

    private static void close(ManagedCertificates m) {
        if (m != null) {
            m.close();
        }
    }
}
