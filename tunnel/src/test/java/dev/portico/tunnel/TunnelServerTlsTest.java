package dev.portico.tunnel;

import io.netty.handler.codec.quic.QuicSslContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.Provider;
import java.security.Security;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The tunnel server's TLS context, built from its PEM key and certificate. */
class TunnelServerTlsTest {

    @TempDir
    Path dir;

    /**
     * The context takes the key as it is: it is not put into a PKCS#12 key store, so it is not
     * encrypted and decrypted again with PBKDF2 on every start (10,000 HMAC rounds each way, which
     * the JIT then compiles while the first packets flow). Every JCA lookup passes the first
     * provider, which here only records what was asked for.
     */
    @Test
    void buildingTheContextDerivesNoPasswordKey() throws Exception {
        ServerIdentity identity = ServerIdentity.ensure(dir, "wan", Clock.systemUTC());
        Recorder recorder = new Recorder();
        Security.insertProviderAt(recorder, 1);
        QuicSslContext ssl;
        try {
            ssl = TunnelServer.sslContext(identity);
        } finally {
            Security.removeProvider(recorder.getName());
        }
        assertThat(ssl.isServer()).isTrue();
        assertThat(recorder.asked)
                .isNotEmpty()
                .noneMatch(s -> s.contains("PBE") || s.contains("PBKDF2"));
    }

    @Test
    void theKeyManagerServesTheIdentityForItsKeyTypeOnly() throws Exception {
        ServerIdentity identity = ServerIdentity.ensure(dir, "wan", Clock.systemUTC());
        IdentityKeyManager km = IdentityKeyManager.of(identity);

        assertThat(km.chooseEngineServerAlias("EC", null, null)).isEqualTo(IdentityKeyManager.ALIAS);
        assertThat(km.chooseEngineServerAlias("EC_EC", null, null)).isEqualTo(IdentityKeyManager.ALIAS);
        assertThat(km.chooseEngineServerAlias("RSA", null, null)).isNull();
        assertThat(km.chooseEngineServerAlias("EC_RSA", null, null)).isNull();
        assertThat(km.chooseEngineServerAlias(null, null, null)).isNull();
        assertThat(km.chooseEngineClientAlias(new String[] {"EC"}, null, null)).isNull();

        assertThat(km.getPrivateKey(IdentityKeyManager.ALIAS).getAlgorithm()).isEqualTo("EC");
        assertThat(km.getCertificateChain(IdentityKeyManager.ALIAS)).hasSize(1);
        assertThat(Fingerprints.of(km.getCertificateChain(IdentityKeyManager.ALIAS)[0])).isEqualTo(identity.fingerprint());
        assertThat(km.getPrivateKey("other")).isNull();
        assertThat(km.getCertificateChain("other")).isNull();
    }

    /** A provider that offers nothing and records every service asked of it. */
    private static final class Recorder extends Provider {
        final List<String> asked = new CopyOnWriteArrayList<>();

        Recorder() {
            super("portico-test-recorder", "1", "records JCA lookups");
        }

        @Override
        public synchronized Service getService(String type, String algorithm) {
            asked.add(type + "." + algorithm);
            return null;
        }
    }
}
