package dev.portico.acme;

import org.shredzone.acme4j.connector.HttpConnector;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.provider.GenericAcmeProvider;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What Portico trusts for the ACME directory's own HTTPS: the roots of {@code ca_roots} alone when
 * it is set, else the JDK's default roots. acme4j's providers for named CAs (and its Pebble
 * provider, which trusts only its bundled test root) are not used: {@link Provider} is acme4j's
 * generic https provider with this trust.
 */
final class AcmeTrust {

    private AcmeTrust() {
    }

    /**
     * An SSL context trusting the certificates of a PEM file, or the JDK's roots when {@code caRoots} is null.
     *
     * @throws IOException with the file's name when it cannot be read or holds no certificate
     */
    static SSLContext sslContext(Path caRoots) throws IOException {
        try {
            if (caRoots == null) {
                return SSLContext.getDefault();
            }
            List<X509Certificate> roots;
            try {
                roots = Pem.readCertificates(Files.readString(caRoots, StandardCharsets.US_ASCII));
            } catch (IOException e) {
                throw new IOException("ca_roots " + caRoots + ": " + e.getMessage(), e);
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            for (X509Certificate root : roots) {
                store.setCertificateEntry("root-" + i++, root);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no TLS", e);
        } catch (GeneralSecurityException e) {
            throw new IOException("ca_roots " + caRoots + ": " + e.getMessage(), e);
        }
    }

    /** acme4j's generic provider for https directory URLs, its HTTP client trusting {@code ssl}. */
    static final class Provider extends GenericAcmeProvider {
        private final SSLContext ssl;

        Provider(SSLContext ssl) {
            this.ssl = ssl;
        }

        @Override
        protected HttpConnector createHttpConnector(NetworkSettings settings) {
            return new HttpConnector(settings) {
                @Override
                public HttpClient.Builder createClientBuilder() {
                    return super.createClientBuilder().sslContext(ssl);
                }
            };
        }
    }
}
