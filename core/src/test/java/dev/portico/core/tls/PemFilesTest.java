package dev.portico.core.tls;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * PEM keys and certificates as openssl writes them: PKCS#8 keys and certificates through the JDK,
 * PKCS#1 and SEC1 keys through Bouncy Castle, and the errors that name the file.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PemFilesTest {

    @TempDir
    Path dir;

    private Path ecKey;
    private Path rsaKey;

    private void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
    }

    @BeforeEach
    void keys() throws Exception {
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem");
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem");
        ecKey = dir.resolve("ec.pem");
        rsaKey = dir.resolve("rsa.pem");
    }

    @Test
    void keysInEveryUnencryptedFormatAreRead() throws Exception {
        assertThat(Files.readString(ecKey)).startsWith("-----BEGIN PRIVATE KEY-----");
        PrivateKey ec = PemFiles.key(ecKey);
        PrivateKey rsa = PemFiles.key(rsaKey);
        assertThat(ec.getAlgorithm()).isEqualTo("EC");
        assertThat(rsa.getAlgorithm()).isEqualTo("RSA");

        // SEC1 (with the EC PARAMETERS block before it) and PKCS#1: the same keys.
        openssl("ec", "-in", "ec.pem", "-param_out", "-out", "params.pem");
        openssl("ec", "-in", "ec.pem", "-out", "ec1.pem");
        Files.writeString(dir.resolve("sec1.pem"), Files.readString(dir.resolve("params.pem"))
                + Files.readString(dir.resolve("ec1.pem")));
        openssl("pkey", "-in", "rsa.pem", "-traditional", "-out", "pkcs1.pem");
        assertThat(Files.readString(dir.resolve("sec1.pem"))).contains("-----BEGIN EC PRIVATE KEY-----");
        assertThat(Files.readString(dir.resolve("pkcs1.pem"))).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        assertThat(((ECPrivateKey) PemFiles.key(dir.resolve("sec1.pem"))).getS()).isEqualTo(((ECPrivateKey) ec).getS());
        RSAPrivateKey pkcs1 = (RSAPrivateKey) PemFiles.key(dir.resolve("pkcs1.pem"));
        assertThat(pkcs1.getModulus()).isEqualTo(((RSAPrivateKey) rsa).getModulus());
        assertThat(pkcs1.getPrivateExponent()).isEqualTo(((RSAPrivateKey) rsa).getPrivateExponent());
    }

    @Test
    void encryptedKeysAreRefusedWithTheCommandThatDecryptsThem() throws Exception {
        openssl("pkey", "-in", "ec.pem", "-aes256", "-passout", "pass:secret", "-out", "enc8.pem");
        openssl("rsa", "-in", "rsa.pem", "-traditional", "-aes256", "-passout", "pass:secret", "-out", "enc1.pem");
        assertThat(Files.readString(dir.resolve("enc1.pem"))).contains("Proc-Type: 4,ENCRYPTED");
        for (String f : List.of("enc8.pem", "enc1.pem")) {
            assertThatThrownBy(() -> PemFiles.key(dir.resolve(f))).isInstanceOf(TlsException.class)
                    .hasMessageContaining("is encrypted").hasMessageContaining("openssl pkey -in " + dir.resolve(f));
        }
    }

    @Test
    void aChainIsReadInFileOrderPastTextBetweenBlocks() throws Exception {
        openssl("req", "-x509", "-key", "ec.pem", "-subj", "/CN=leaf.test", "-days", "2", "-out", "leaf.pem");
        openssl("req", "-x509", "-key", "rsa.pem", "-subj", "/CN=ca.test", "-days", "2", "-out", "ca.pem");
        Path chain = Files.writeString(dir.resolve("chain.pem"), "subject=leaf\n" + Files.readString(dir.resolve("leaf.pem"))
                + "\n# the issuer\n" + Files.readString(dir.resolve("ca.pem")));
        List<X509Certificate> certs = PemFiles.certificates(chain);
        assertThat(certs).extracting(c -> c.getSubjectX500Principal().getName()).containsExactly("CN=leaf.test", "CN=ca.test");

        PemFiles.Loaded pair = PemFiles.load(dir.resolve("leaf.pem"), ecKey, Instant.now(), p -> { });
        assertThat(pair.leaf().getSubjectX500Principal().getName()).isEqualTo("CN=leaf.test");
        assertThatThrownBy(() -> PemFiles.load(dir.resolve("leaf.pem"), rsaKey, Instant.now(), p -> { }))
                .isInstanceOf(TlsException.class).hasMessageContaining(rsaKey.toString());
    }

    @Test
    void filesWithoutWhatTheyShouldHoldNameTheFile() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "nothing here\n");
        assertThatThrownBy(() -> PemFiles.certificates(empty)).isInstanceOf(TlsException.class)
                .hasMessageContaining(empty + " holds no PEM certificate");
        assertThatThrownBy(() -> PemFiles.key(empty)).isInstanceOf(TlsException.class)
                .hasMessageContaining(empty + " holds no PEM private key");
        // A key file given as the certificate, and a certificate given as the key.
        assertThatThrownBy(() -> PemFiles.certificates(ecKey)).hasMessageContaining("holds no PEM certificate");
        Path broken = Files.writeString(dir.resolve("broken.pem"),
                "-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> PemFiles.certificates(broken)).isInstanceOf(TlsException.class)
                .hasMessageStartingWith("cannot read certificate file " + broken + ": ");
        Path cut = Files.writeString(dir.resolve("cut.pem"), Files.readString(ecKey).replace("-----END PRIVATE KEY-----", ""));
        assertThatThrownBy(() -> PemFiles.key(cut)).isInstanceOf(TlsException.class)
                .hasMessageContaining("cannot read key file " + cut).hasMessageContaining("-----END PRIVATE KEY-----");
        openssl("genpkey", "-algorithm", "ED25519", "-out", "ed.pem");
        assertThatThrownBy(() -> PemFiles.key(dir.resolve("ed.pem"))).isInstanceOf(TlsException.class)
                .hasMessageContaining("not an RSA or ECDSA key");
    }
}
