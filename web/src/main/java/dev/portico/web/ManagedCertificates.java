package dev.portico.web;

import dev.portico.acme.AcmeSettings;
import dev.portico.acme.CertificateManager;
import dev.portico.acme.Http01Answers;
import dev.portico.acme.TlsAlpn01Handler;
import dev.portico.core.lifecycle.ServiceContext;
import dev.portico.core.tls.TlsSettings;
import dev.portico.web.http.Exchange;
import dev.portico.web.http.RequestHandler;
import io.netty.channel.ChannelPipeline;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The ACME side of a web or proxy service with {@code tls.acme}: the {@link CertificateManager}, the one
 * thread its blocking work runs on, the HTTP-01 answers for the plain listeners and the
 * TLS-ALPN-01 handler for the TLS ones. It outlives reloads that keep the same {@code acme}
 * settings, so an order under way is not abandoned.
 */
public final class ManagedCertificates implements AutoCloseable {

    /** The handler name of {@link TlsAlpn01Handler} in a TLS listener's pipeline. */
    public static final String TLS_ALPN_01 = "acme-tls-alpn-01";

    private final AcmeSettings settings;
    private final ScheduledExecutorService scheduler;
    private final CertificateManager manager;
    private final Http01Answers http01;

    ManagedCertificates(String service, AcmeSettings settings, ServiceContext context) throws IOException {
        this.settings = settings;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "acme-" + service);
            t.setDaemon(true);
            return t;
        });
        try {
            this.manager = CertificateManager.builder(settings).stateDir(context.stateDir()).scheduler(scheduler)
                    .clock(context.clock()).meters(context.meters()).service(service).build();
        } catch (IOException | RuntimeException e) {
            scheduler.shutdownNow();
            throw e;
        }
        this.http01 = manager.http01Answers();
    }

    public AcmeSettings settings() {
        return settings;
    }

    public CertificateManager manager() {
        return manager;
    }

    /** Where each name's pair is (or will be) stored, in config order. */
    public List<TlsSettings.CertificateFiles> pairs() {
        List<TlsSettings.CertificateFiles> out = new ArrayList<>();
        for (String name : manager.names()) {
            out.add(new TlsSettings.CertificateFiles(manager.certFile(name), manager.keyFile(name)));
        }
        return out;
    }

    /**
     * Answers {@code /.well-known/acme-challenge/TOKEN} while the challenge is pending; anything
     * else goes on to the next handler.
     */
    public RequestHandler http01Handler() {
        return this::answer;
    }

    private boolean answer(Exchange ex) {
        String path = ex.rawPath();
        if (!path.startsWith(Http01Answers.PATH_PREFIX)) {
            return false;
        }
        Optional<String> answer = http01.answer(ex.host(), path);
        if (answer.isEmpty()) {
            return false;
        }
        ex.respond(200, "text/plain", answer.get());
        return true;
    }

    /** Puts the TLS-ALPN-01 handler first in a new TLS connection's pipeline while a validation is pending. */
    public void addTlsAlpn01(ChannelPipeline p) {
        if (manager.tlsAlpn01Certificates().anyPending()) {
            p.addFirst(TLS_ALPN_01, new TlsAlpn01Handler(manager.tlsAlpn01Certificates()));
        }
    }

    /** Stops the renewals (an attempt under way is interrupted) and the thread. */
    @Override
    public void close() {
        manager.close();
        scheduler.shutdownNow();
    }
}
