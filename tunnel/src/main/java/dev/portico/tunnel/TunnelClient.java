package dev.portico.tunnel;

import dev.portico.core.lifecycle.ServiceContext;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicChannelBootstrap;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.SegmentedDatagramPacketAllocator;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;

/**
 * A client session: dials its target, proves its token, and keeps the tunnel up. When the
 * connection fails or breaks it dials again after a wait that doubles from one second up to
 * {@code redial_max}, and starts again from one second once a tunnel came up.
 */
final class TunnelClient {

    private static final Logger log = LoggerFactory.getLogger(TunnelClient.class);
    private static final long FIRST_WAIT_MILLIS = 1000;

    private final String service;
    private final SessionConfig session;
    private final TunnelConfig config;
    private final ServiceContext context;
    private final SessionTable table;
    private final String label;
    private EventLoop loop;
    private Channel udp;
    private QuicSslContext ssl;
    private volatile QuicChannel current;
    private volatile boolean stopped;
    private long waitMillis = FIRST_WAIT_MILLIS;

    TunnelClient(String service, SessionConfig session, TunnelConfig config, ServiceContext context, SessionTable table) {
        this.service = service;
        this.session = session;
        this.config = config;
        this.context = context;
        this.table = table;
        this.label = "tunnel '" + service + "' session '" + session.name() + "'";
    }

    void start() throws IOException {
        QuicSslContextBuilder b = QuicSslContextBuilder.forClient().applicationProtocols(QuicSettings.ALPN);
        if (session.serverFingerprint() != null) {
            b.trustManager(new PinnedTrust(session.serverFingerprint(), label));
        } else {
            b.trustManager(session.serverCa().toFile()).endpointIdentificationAlgorithm("HTTPS");
        }
        ssl = b.build();
        loop = context.workers().next();
        InetAddress any = InetAddress.getByName(session.target().host().contains(":") ? "::" : "0.0.0.0");
        QuicClientCodecBuilder codec = new QuicClientCodecBuilder().sslEngineProvider(ch -> ssl.newEngine(ch.alloc(),
                session.target().host(), session.target().port()));
        QuicSettings.apply(codec, config, 0);
        try {
            Bootstrap boot = new Bootstrap().group(loop).channelFactory(context.transport().datagramChannelFactory(any))
                    .handler(codec.build());
            QuicSettings.socketBuffers(boot, config);
            QuicSettings.batchReads(boot, context.transport(), config);
            udp = boot.bind(new InetSocketAddress(any, 0)).sync().channel();
        } catch (Exception e) {
            throw new IOException(label + ": cannot open a UDP socket: " + e.getMessage(), e);
        }
        loop.execute(this::dial);
    }

    /** Looks the target up off the event loop (its name may have moved), then dials. */
    private void dial() {
        if (stopped) {
            return;
        }
        try {
            context.blocking().execute(() -> {
                try {
                    InetSocketAddress target = new InetSocketAddress(InetAddress.getByName(session.target().host()),
                            session.target().port());
                    loop.execute(() -> connect(target));
                } catch (UnknownHostException e) {
                    loop.execute(() -> {
                        log.warn("{}: cannot resolve {}; dialling again in {} ms", label, session.target().host(),
                                waitMillis);
                        redialLater();
                    });
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down
        }
    }

    /** Dials once; on any failure, schedules the next dial. */
    private void connect(InetSocketAddress target) {
        if (stopped) {
            return;
        }
        Link link = new Link(label);
        QuicChannelBootstrap bootstrap = QuicChannel.newBootstrap(udp);
        SegmentedDatagramPacketAllocator segments = QuicSettings.segments(context.transport());
        if (segments != null) {
            bootstrap.option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR, segments);
        }
        bootstrap
                .handler(link.new Connection(true))
                .remoteAddress(target)
                .connect()
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        log.warn("{}: cannot connect to {}: {}; dialling again in {} ms", label, target,
                                reason(f.cause()), waitMillis);
                        redialLater();
                        return;
                    }
                    QuicChannel q = (QuicChannel) f.getNow();
                    log.debug("{}: connected to {}", label, target);
                    current = q;
                    q.closeFuture().addListener(c -> {
                        if (!stopped) {
                            log.info("{}: the connection to {} closed; dialling again in {} ms", label, target,
                                    waitMillis);
                            redialLater();
                        }
                    });
                    q.createStream(QuicStreamType.BIDIRECTIONAL, new Handshake.Client(session, table, link,
                            () -> waitMillis = FIRST_WAIT_MILLIS)).addListener(s -> {
                                if (!s.isSuccess()) {
                                    Link.close(q, Link.CLOSE_PROTOCOL, "cannot open the stream");
                                }
                            });
                });
    }

    private static String reason(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getMessage() == null) {
            c = c.getCause();
        }
        return c.getMessage() != null ? c.getMessage() : c.toString();
    }

    private void redialLater() {
        if (stopped) {
            return;
        }
        long wait = waitMillis;
        waitMillis = Math.min(waitMillis * 2, config.redialMax().toMillis());
        loop.schedule(this::dial, wait, TimeUnit.MILLISECONDS);
    }

    /** Stops dialling and closes the connection; the table takes the device down. */
    void stop() {
        stopped = true;
        QuicChannel q = current;
        if (q != null) {
            Link.close(q, Link.CLOSE_NORMAL, "shutting down");
            q.closeFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        if (udp != null) {
            udp.close().awaitUninterruptibly();
        }
    }

    /**
     * Trusts exactly one server certificate, by the SHA-256 of its DER (what Netty's
     * FingerprintTrustManagerFactory checks), and logs the fingerprint it got when it differs.
     */
    static final class PinnedTrust extends X509ExtendedTrustManager {

        private final String fingerprint;
        private final String label;

        PinnedTrust(String fingerprint, String label) {
            this.fingerprint = fingerprint;
            this.label = label;
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the server sent no certificate");
            }
            String got = Fingerprints.of(chain[0]);
            if (!java.security.MessageDigest.isEqual(got.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    fingerprint.getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
                log.warn("{}: the server's certificate has fingerprint {}, not the pinned server_fingerprint {}; "
                        + "refusing it", label, got, fingerprint);
                throw new CertificateException("server certificate fingerprint " + got + " is not the pinned one");
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a tunnel client does not take client certificates");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("a tunnel client does not take client certificates");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("a tunnel client does not take client certificates");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
