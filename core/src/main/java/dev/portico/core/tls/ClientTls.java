package dev.portico.core.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Objects;

/**
 * The client side of TLS to one kind of server (a proxy backend, a health check): a Netty
 * {@link SslContext} built once from {@link ClientTlsSettings}, and an {@link SslHandler} per
 * connection. BoringSSL (netty-tcnative) is used when its native library loads, the JDK's TLS
 * otherwise. TLS 1.2 and 1.3 are offered; sessions are cached per server name and port, so a new
 * connection to the same backend resumes.
 *
 * <p>With {@code verify} on, the server's chain must lead to a trusted CA and its certificate must
 * name the server (endpoint identification {@code HTTPS}: DNS names, or IP addresses for an IP
 * literal). PEM files are read by Netty; a client key is checked against its certificate here,
 * since neither engine notices a mismatch before the handshake.
 */
public final class ClientTls {

    private static final Logger log = LoggerFactory.getLogger(ClientTls.class);

    private final ClientTlsSettings settings;
    private final SslContext context;
    private final String engine;

    private ClientTls(ClientTlsSettings settings, SslContext context, String engine) {
        this.settings = settings;
        this.context = context;
        this.engine = engine;
    }

    /**
     * Builds the context for {@code settings} with the native engine when it loads, logging once
     * (a warning when {@code verify} is off, since then anyone on the path can read and change
     * the traffic).
     *
     * @param settings the settings
     * @param who      what connects with it, for the log ("proxy 'edge' pool '*'")
     * @return the client TLS
     * @throws ClientTlsException when a file is missing, unreadable or unusable, or the key does not match
     */
    public static ClientTls create(ClientTlsSettings settings, String who) throws ClientTlsException {
        ClientTls tls = create(settings, true);
        if (!settings.verify()) {
            log.warn("{}: TLS to the backends is not verified (tls.verify: false); anyone on the path can read "
                    + "and change this traffic", who);
        } else {
            log.debug("{}: TLS to the backends through {}", who, tls.engine);
        }
        return tls;
    }

    /**
     * Builds the context for {@code settings} without logging.
     *
     * @param settings     the settings
     * @param nativeEngine whether to use BoringSSL when it loads (false: always the JDK's engine)
     * @return the client TLS
     * @throws ClientTlsException when a file is missing, unreadable or unusable, or the key does not match
     */
    public static ClientTls create(ClientTlsSettings settings, boolean nativeEngine) throws ClientTlsException {
        Objects.requireNonNull(settings, "settings");
        boolean openSsl = nativeEngine && OpenSsl.isAvailable();
        SslContextBuilder b = SslContextBuilder.forClient()
                .sslProvider(openSsl ? SslProvider.OPENSSL : SslProvider.JDK)
                .protocols("TLSv1.3", "TLSv1.2");
        if (settings.verify()) {
            b.endpointIdentificationAlgorithm("HTTPS");
            if (settings.ca() != null) {
                b.trustManager(certificates("ca", settings.ca()));
            }
        } else {
            b.endpointIdentificationAlgorithm(null).trustManager(InsecureTrustManagerFactory.INSTANCE);
        }
        if (settings.clientCert() != null) {
            X509Certificate[] chain = certificates("client_cert", settings.clientCert());
            PrivateKey key = key(settings.clientKey());
            if (!matches(key, chain[0].getPublicKey())) {
                throw new ClientTlsException("client_key", settings.clientKey() + " does not match the certificate in "
                        + settings.clientCert());
            }
            b.keyManager(key, chain);
        }
        try {
            return new ClientTls(settings, b.build(), openSsl ? "BoringSSL" : "JDK");
        } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
            throw new ClientTlsException(settings.clientCert() != null ? "client_cert" : "ca",
                    "cannot set up TLS: " + e.getMessage());
        }
    }

    /** The settings this was built from. */
    public ClientTlsSettings settings() {
        return settings;
    }

    /** {@code BoringSSL} or {@code JDK}. */
    public String engine() {
        return engine;
    }

    /**
     * A handler for a new connection to {@code host:port}: it sends the SNI (the configured
     * {@code sni}, or the host unless it is an IP literal), verifies against that name, and fails
     * a handshake that takes longer than {@code handshakeTimeout}.
     *
     * @param alloc            the channel's allocator
     * @param host             the server's host name or IP literal
     * @param port             the server's port (sessions are cached per name and port)
     * @param handshakeTimeout longest handshake
     * @return the handler, to go first in the pipeline
     */
    public SslHandler newHandler(ByteBufAllocator alloc, String host, int port, Duration handshakeTimeout) {
        SslHandler h = context.newHandler(alloc, settings.peerName(host), port);
        h.setHandshakeTimeoutMillis(Math.max(1, handshakeTimeout.toMillis()));
        return h;
    }

    private static void readable(String key, Path file) throws ClientTlsException {
        if (!Files.exists(file)) {
            throw new ClientTlsException(key, file + ": no such file");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new ClientTlsException(key, file + ": cannot read it (not a readable file)");
        }
    }

    private static X509Certificate[] certificates(String key, Path file) throws ClientTlsException {
        readable(key, file);
        X509Certificate[] certs;
        try {
            certs = Pem.certificates(file.toFile());
        } catch (java.security.cert.CertificateException | RuntimeException e) {
            throw new ClientTlsException(key, file + ": holds no PEM certificate (" + e.getMessage() + ")");
        }
        if (certs == null || certs.length == 0) {
            throw new ClientTlsException(key, file + ": holds no PEM certificate");
        }
        return certs;
    }

    private static PrivateKey key(Path file) throws ClientTlsException {
        readable("client_key", file);
        try {
            return jdkKey(Pem.key(file.toFile()));
        } catch (Exception e) {
            throw new ClientTlsException("client_key", file + ": holds no usable PEM private key (an unencrypted "
                    + "PKCS#8 \"BEGIN PRIVATE KEY\" block is expected): " + e.getMessage());
        }
    }

    /**
     * The key as the JDK's own provider holds it: Netty reads PEM with BouncyCastle when that is on
     * the class path, and the JDK's signatures and TLS refuse BouncyCastle's EC keys.
     */
    private static PrivateKey jdkKey(PrivateKey key) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "RSA";
            case "EC", "ECDSA" -> "EC";
            case "Ed25519", "Ed448", "EdDSA" -> "EdDSA";
            default -> null;
        };
        if (algorithm == null || key.getEncoded() == null) {
            return key;
        }
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
    }

    /** Whether {@code key} signs what {@code publicKey} verifies. */
    private static boolean matches(PrivateKey key, PublicKey publicKey) {
        String algorithm = switch (publicKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> publicKey.getAlgorithm();
            default -> null;
        };
        if (algorithm == null) {
            return true;
        }
        try {
            byte[] data = new byte[32];
            new SecureRandom().nextBytes(data);
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(data);
            byte[] signature = sign.sign();
            Signature check = Signature.getInstance(algorithm);
            check.initVerify(publicKey);
            check.update(data);
            return check.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Netty's PEM reading, which it offers to its context classes as protected static methods. */
    private abstract static class Pem extends SslContext {
        static X509Certificate[] certificates(File file) throws java.security.cert.CertificateException {
            return toX509Certificates(file);
        }

        static PrivateKey key(File file) throws Exception {
            return toPrivateKey(file, null);
        }
    }
}
